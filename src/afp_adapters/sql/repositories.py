"""SQL repositories over one connection (the unit of work's transaction).

Loading one video, batch or post locks its row (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite
units of work are exclusive already): use cases load, change and save an aggregate whole, so a
second unit of work must wait for the first instead of saving a stale copy over it. The work
on one batch item locks the batch row alone (`get_header(lock=True)`) and reads and writes just
that item and the batch's counters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from afp_adapters.sql import _mapping as m
from afp_adapters.sql import tables as t
from afp_adapters.sql._dialect import for_update, upsert
from afp_core.domain.batch import Batch, BatchItem, BatchStatus, ItemStatus
from afp_core.domain.batch_header import BatchHeader
from afp_core.domain.credentials import Credential, CredentialKind
from afp_core.domain.errors import Conflict, NotFound
from afp_core.domain.events import DomainEvent
from afp_core.domain.idempotency import IdempotencyRecord
from afp_core.domain.ids import BatchId, BatchItemId, PostId, PurchaseId, UserId, VideoId
from afp_core.domain.jobs import Job
from afp_core.domain.payments import PaymentProviderName, Purchase, WebhookDelivery
from afp_core.domain.social import (
    ConnectionStatus,
    OAuthState,
    Post,
    PostStatus,
    SocialConnection,
    SocialProvider,
)
from afp_core.domain.users import Role, User, normalise_email
from afp_core.domain.video import TERMINAL, Video, VideoStatus
from afp_core.ports.repositories import UserTotals, VideoState
from afp_core.ports.system import IdGenerator

# statements on the request path, built once (bound per call)
_CREDENTIAL_HOLDER = (
    sa.select(t.credentials, t.users.c.role.label("holder_role"))
    .join(t.users, t.users.c.id == t.credentials.c.user_id)
    .where(t.credentials.c.token_hash == sa.bindparam("token_hash"))
)
_USER_VIDEO = sa.select(t.videos).where(
    (t.videos.c.id == sa.bindparam("video_id")) & (t.videos.c.user_id == sa.bindparam("user_id"))
)
_USER_VIDEO_LOCKED = _USER_VIDEO.with_for_update()
_USER_VIDEO_STATE = sa.select(
    t.videos.c.id, t.videos.c.status, t.videos.c.updated_at, t.videos.c.error_reason
).where(
    (t.videos.c.id == sa.bindparam("video_id")) & (t.videos.c.user_id == sa.bindparam("user_id"))
)


class _Repo:
    """`lock=False` (a read-only unit of work): aggregates are loaded without row locks."""

    def __init__(self, conn: AsyncConnection, *, lock: bool = True) -> None:
        self._c = conn
        self._lock = lock

    def _locked(self, query: sa.Select[Any]) -> Any:
        return for_update(self._c, query) if self._lock else query

    async def _insert(
        self, table: sa.Table, values: dict[str, object], what: str, *, expected: bool = False
    ) -> None:
        """Insert a row; a clash is `Conflict`. Where a clash is an `expected` outcome (a taken
        email, a used key) a savepoint keeps the unit of work usable after it; elsewhere (fresh
        ids) the two extra round trips are not worth paying on every insert."""
        statement = table.insert().values(**values)
        try:
            if expected:
                async with self._c.begin_nested():
                    await self._c.execute(statement)
            else:
                await self._c.execute(statement)
        except IntegrityError as exc:
            raise Conflict(f"{what} already exists") from exc


class SqlUserRepository(_Repo):
    async def add(self, user: User) -> None:
        await self._insert(t.users, m.user_values(user), f"user {user.email}", expected=True)

    async def get(self, user_id: UserId) -> User:
        row = (await self._c.execute(sa.select(t.users).where(t.users.c.id == user_id))).first()
        if row is None:
            raise NotFound(f"user {user_id} not found")
        return m.user_from(row._mapping)

    async def by_email(self, email: str) -> User | None:
        try:
            wanted = normalise_email(email)
        except Exception:
            return None
        row = (await self._c.execute(sa.select(t.users).where(t.users.c.email == wanted))).first()
        return m.user_from(row._mapping) if row else None

    async def list(self, *, limit: int = 50, offset: int = 0) -> Sequence[User]:
        rows = await self._c.execute(
            sa.select(t.users)
            .order_by(t.users.c.created_at, t.users.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [m.user_from(r._mapping) for r in rows]

    async def totals(self) -> UserTotals:
        u = t.users.c
        row = (
            await self._c.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.coalesce(sa.func.sum(u.credits_balance), 0),
                    sa.func.coalesce(sa.func.sum(u.credits_reserved), 0),
                    sa.func.coalesce(sa.func.sum(u.credits_debt), 0),
                )
            )
        ).one()
        return UserTotals(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    async def set_password_hash(self, user_id: UserId, password_hash: str, now: datetime) -> None:
        result = await self._c.execute(
            t.users.update()
            .where(t.users.c.id == user_id)
            .values(password_hash=password_hash, updated_at=now)
        )
        if result.rowcount == 0:
            raise NotFound(f"user {user_id} not found")


class SqlCredentialRepository(_Repo):
    """Sessions and API keys in `credentials`. `save` merges in SQL (revocation is kept,
    `last_used_at` only grows), so a stale copy needs no row lock to be saved safely."""

    async def add(self, credential: Credential) -> None:
        await self._insert(
            t.credentials, m.credential_values(credential), f"credential {credential.id}"
        )

    async def by_token_hash(self, token_hash: str) -> Credential | None:
        query = sa.select(t.credentials).where(t.credentials.c.token_hash == token_hash)
        row = (await self._c.execute(query)).first()
        return m.credential_from(row._mapping) if row else None

    async def holder_by_token_hash(self, token_hash: str) -> tuple[Credential, Role] | None:
        row = (await self._c.execute(_CREDENTIAL_HOLDER, {"token_hash": token_hash})).first()
        return (m.credential_from(row._mapping), Role(row.holder_role)) if row else None

    async def get(self, user_id: UserId, credential_id: str) -> Credential:
        c = t.credentials.c
        query = sa.select(t.credentials).where((c.id == credential_id) & (c.user_id == user_id))
        row = (await self._c.execute(query)).first()
        if row is None:
            raise NotFound(f"credential {credential_id} not found")
        return m.credential_from(row._mapping)

    async def save(self, credential: Credential) -> None:
        c = t.credentials.c
        used = sa.bindparam("used", credential.last_used_at, type_=t.UtcDateTime())
        result = await self._c.execute(
            t.credentials.update()
            .where((c.id == credential.id) & (c.user_id == credential.user_id))
            .values(
                revoked_at=sa.func.coalesce(
                    c.revoked_at, sa.bindparam("revoked", credential.revoked_at, t.UtcDateTime())
                ),
                last_used_at=sa.case(
                    (c.last_used_at.is_(None) | (c.last_used_at < used), used),
                    else_=c.last_used_at,
                ),
            )
        )
        if result.rowcount == 0:
            raise NotFound(f"credential {credential.id} not found")

    async def list_api_keys(self, user_id: UserId) -> Sequence[Credential]:
        c = t.credentials.c
        rows = await self._c.execute(
            sa.select(t.credentials)
            .where((c.user_id == user_id) & (c.kind == CredentialKind.API_KEY.value))
            .order_by(c.created_at, c.id)
        )
        return [m.credential_from(r._mapping) for r in rows]


class SqlVideoRepository(_Repo):
    async def add(self, video: Video) -> None:
        await self._insert(t.videos, m.video_values(video), f"video {video.id}")

    async def _one(self, where: sa.ColumnElement[bool], what: str) -> Video:
        query = self._locked(sa.select(t.videos).where(where))
        row = (await self._c.execute(query)).first()
        if row is None:
            raise NotFound(f"{what} not found")
        return m.video_from(row._mapping)

    async def get(self, user_id: UserId, video_id: VideoId) -> Video:
        # built once: composing and caching the statement cost more than running it
        query = (
            _USER_VIDEO_LOCKED
            if self._lock and self._c.dialect.name == "postgresql"
            else _USER_VIDEO
        )
        row = (await self._c.execute(query, {"video_id": video_id, "user_id": user_id})).first()
        if row is None:
            raise NotFound(f"video {video_id} not found")
        return m.video_from(row._mapping)

    async def get_any(self, video_id: VideoId) -> Video:
        return await self._one(t.videos.c.id == video_id, f"video {video_id}")

    async def state_of(self, user_id: UserId, video_id: VideoId) -> VideoState:
        params = {"video_id": video_id, "user_id": user_id}
        row = (await self._c.execute(_USER_VIDEO_STATE, params)).first()
        if row is None:
            raise NotFound(f"video {video_id} not found")
        return VideoState(
            VideoId(row.id), VideoStatus(row.status), row.updated_at, row.error_reason
        )

    async def by_task_id(self, provider_task_id: str) -> Video | None:
        row = (
            await self._c.execute(
                sa.select(t.videos).where(t.videos.c.kie_task_id == provider_task_id)
            )
        ).first()
        return m.video_from(row._mapping) if row else None

    async def save(self, video: Video) -> None:
        values = m.video_values(video)
        result = await self._c.execute(
            t.videos.update().where(t.videos.c.id == video.id).values(**values)
        )
        if result.rowcount == 0:
            raise NotFound(f"video {video.id} not found")

    async def _list(
        self,
        where: sa.ColumnElement[bool] | None,
        status: VideoStatus | None,
        limit: int,
        offset: int,
    ) -> Sequence[Video]:
        query = sa.select(t.videos)
        if where is not None:
            query = query.where(where)
        if status is not None:
            query = query.where(t.videos.c.status == status.value)
        query = query.order_by(t.videos.c.created_at.desc(), t.videos.c.id.desc())
        rows = await self._c.execute(query.limit(limit).offset(offset))
        return [m.video_from(r._mapping) for r in rows]

    async def list_for_user(
        self,
        user_id: UserId,
        *,
        status: VideoStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[Video]:
        return await self._list(t.videos.c.user_id == user_id, status, limit, offset)

    async def list_all(
        self, *, status: VideoStatus | None = None, limit: int = 50, offset: int = 0
    ) -> Sequence[Video]:
        return await self._list(None, status, limit, offset)

    async def count_by_status(self, user_id: UserId) -> Mapping[VideoStatus, int]:
        rows = await self._c.execute(
            sa.select(t.videos.c.status, sa.func.count())
            .where(t.videos.c.user_id == user_id)
            .group_by(t.videos.c.status)
        )
        return {VideoStatus(status): int(count) for status, count in rows.all()}

    async def count_all_by_status(self) -> Mapping[VideoStatus, int]:
        rows = await self._c.execute(
            sa.select(t.videos.c.status, sa.func.count()).group_by(t.videos.c.status)
        )
        return {VideoStatus(status): int(count) for status, count in rows.all()}

    async def stuck(
        self, now: datetime, *, submit_started_before: datetime, limit: int = 500
    ) -> Sequence[Video]:
        v = t.videos
        ended = [status.value for status in TERMINAL]
        in_doubt = (v.c.status == VideoStatus.QUEUED.value) & (
            v.c.submit_started_at < submit_started_before
        )
        rows = await self._c.execute(
            sa.select(v)
            .where(v.c.status.not_in(ended) & ((v.c.deadline <= now) | in_doubt))
            .order_by(v.c.deadline, v.c.id)
            .limit(limit)
        )
        return [m.video_from(r._mapping) for r in rows]


class SqlBatchRepository(_Repo):
    def __init__(self, conn: AsyncConnection, *, lock: bool = True) -> None:
        super().__init__(conn, lock=lock)
        self._loaded_items: dict[BatchId, dict[str, dict[str, Any]]] = {}

    async def add(self, batch: Batch) -> None:
        await self._insert(t.video_batches, m.batch_values(batch), f"batch {batch.id}")
        await self._c.execute(
            t.batch_video_items.insert(), [m.item_values(batch.id, i) for i in batch.items]
        )

    async def _one(self, where: sa.ColumnElement[bool], batch_id: BatchId) -> Batch:
        query = self._locked(sa.select(t.video_batches).where(where))
        row = (await self._c.execute(query)).first()
        if row is None:
            raise NotFound(f"batch {batch_id} not found")
        items = await self._c.execute(
            sa.select(t.batch_video_items)
            .where(t.batch_video_items.c.batch_id == batch_id)
            .order_by(t.batch_video_items.c.row_index, t.batch_video_items.c.id)
        )
        batch = m.batch_from(row._mapping, [m.item_from(i._mapping) for i in items])
        # what each item was when loaded: `save` writes only the items that changed since
        self._loaded_items[batch.id] = {i.id: m.item_values(batch.id, i) for i in batch.items}
        return batch

    async def get(self, user_id: UserId, batch_id: BatchId) -> Batch:
        where = (t.video_batches.c.id == batch_id) & (t.video_batches.c.user_id == user_id)
        return await self._one(where, batch_id)

    async def get_any(self, batch_id: BatchId) -> Batch:
        return await self._one(t.video_batches.c.id == batch_id, batch_id)

    async def save(self, batch: Batch) -> None:
        result = await self._c.execute(
            t.video_batches.update()
            .where(t.video_batches.c.id == batch.id)
            .values(**m.batch_values(batch))
        )
        if result.rowcount == 0:
            raise NotFound(f"batch {batch.id} not found")
        items = t.batch_video_items
        loaded = self._loaded_items.get(batch.id, {})
        for item in batch.items:
            values = m.item_values(batch.id, item)
            if loaded.get(item.id) == values:
                continue
            await self._c.execute(items.update().where(items.c.id == item.id).values(**values))
            loaded[item.id] = values

    async def get_header(
        self, batch_id: BatchId, *, owner: UserId | None = None, lock: bool = False
    ) -> BatchHeader:
        b = t.video_batches
        query = sa.select(b).where(b.c.id == batch_id)
        if owner is not None:
            query = query.where(b.c.user_id == owner)
        if lock:
            query = self._locked(query)
        row = (await self._c.execute(query)).first()
        if row is None:
            raise NotFound(f"batch {batch_id} not found")
        return m.header_from(row._mapping)

    async def get_item(
        self, batch_id: BatchId, item_id: BatchItemId, *, lock: bool = False
    ) -> BatchItem:
        i = t.batch_video_items
        query = sa.select(i).where((i.c.id == item_id) & (i.c.batch_id == batch_id))
        if lock:
            query = self._locked(query)
        row = (await self._c.execute(query)).first()
        if row is None:
            raise NotFound(f"batch item {item_id} not found")
        return m.item_from(row._mapping)

    async def next_to_dispatch(self, batch_id: BatchId, limit: int) -> Sequence[BatchItem]:
        if limit <= 0:
            return []
        i = t.batch_video_items
        rows = await self._c.execute(
            sa.select(i)
            .where(
                (i.c.batch_id == batch_id)
                & (i.c.status == ItemStatus.PENDING.value)
                & i.c.dispatched_at.is_(None)
            )
            .order_by(i.c.row_index, i.c.id)
            .limit(limit)
        )
        return [m.item_from(r._mapping) for r in rows]

    async def save_item(self, batch_id: BatchId, item: BatchItem) -> None:
        i = t.batch_video_items
        values = m.item_values(batch_id, item)
        result = await self._c.execute(
            i.update().where((i.c.id == item.id) & (i.c.batch_id == batch_id)).values(**values)
        )
        if result.rowcount == 0:
            raise NotFound(f"batch item {item.id} not found")
        if (loaded := self._loaded_items.get(batch_id)) is not None:
            loaded[item.id] = values

    async def save_header(self, header: BatchHeader) -> None:
        b = t.video_batches
        result = await self._c.execute(
            b.update().where(b.c.id == header.id).values(**m.header_values(header))
        )
        if result.rowcount == 0:
            raise NotFound(f"batch {header.id} not found")

    async def in_flight_by_user(self) -> Mapping[UserId, tuple[int, int]]:
        b = t.video_batches
        rows = await self._c.execute(
            sa.select(
                b.c.user_id, sa.func.sum(b.c.in_flight_running), sa.func.sum(b.c.in_flight_queued)
            )
            .where(
                (b.c.status == BatchStatus.RUNNING.value)
                & ((b.c.in_flight_running > 0) | (b.c.in_flight_queued > 0))
            )
            .group_by(b.c.user_id)
        )
        return {UserId(user_id): (int(running), int(queued)) for user_id, running, queued in rows}


class SqlPurchaseRepository(_Repo):
    async def add(self, purchase: Purchase) -> None:
        await self._insert(
            t.purchases, m.purchase_values(purchase), f"purchase {purchase.id}", expected=True
        )

    async def get(self, purchase_id: PurchaseId, *, lock: bool = False) -> Purchase | None:
        query = sa.select(t.purchases).where(t.purchases.c.id == purchase_id)
        if lock:
            query = for_update(self._c, query)
        row = (await self._c.execute(query)).first()
        return m.purchase_from(row._mapping) if row else None

    async def by_payment_id(
        self, provider: PaymentProviderName, payment_id: str, *, lock: bool = False
    ) -> Purchase | None:
        query = sa.select(t.purchases).where(
            (t.purchases.c.provider == provider.value) & (t.purchases.c.payment_id == payment_id)
        )
        if lock:
            query = for_update(self._c, query)
        row = (await self._c.execute(query)).first()
        return m.purchase_from(row._mapping) if row else None

    async def list_all(
        self, *, since: datetime | None = None, limit: int = 1000
    ) -> Sequence[Purchase]:
        query = sa.select(t.purchases)
        if since is not None:
            query = query.where(t.purchases.c.created_at >= since)
        query = query.order_by(t.purchases.c.created_at.desc(), t.purchases.c.id.desc())
        rows = await self._c.execute(query.limit(limit))
        return [m.purchase_from(row._mapping) for row in rows]

    async def save(self, purchase: Purchase) -> None:
        try:
            async with self._c.begin_nested():
                await self._c.execute(
                    t.purchases.update()
                    .where(t.purchases.c.id == purchase.id)
                    .values(**m.purchase_values(purchase))
                )
        except IntegrityError as exc:
            raise Conflict(f"payment {purchase.payment_id} already belongs to a purchase") from exc


class SqlWebhookInbox(_Repo):
    async def record(self, delivery: WebhookDelivery) -> bool:
        statement = (
            upsert(self._c, t.webhook_events)
            .values(m.delivery_values(delivery))
            .on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(t.webhook_events.c.event_id)
        )
        return (await self._c.execute(statement)).first() is not None

    async def set_outcome(self, provider: str, event_id: str, outcome: str) -> None:
        events = t.webhook_events
        await self._c.execute(
            events.update()
            .where((events.c.provider == provider) & (events.c.event_id == event_id))
            .values(outcome=outcome)
        )

    async def for_purchase(self, purchase_id: PurchaseId) -> Sequence[WebhookDelivery]:
        events = t.webhook_events
        rows = await self._c.execute(
            sa.select(events)
            .where(events.c.purchase_id == purchase_id)
            .order_by(events.c.received_at)
        )
        return [m.delivery_from(row._mapping) for row in rows]


class SqlSocialConnectionRepository(_Repo):
    async def get(self, user_id: UserId, provider: SocialProvider) -> SocialConnection | None:
        row = (
            await self._c.execute(
                sa.select(t.user_integrations).where(
                    (t.user_integrations.c.user_id == user_id)
                    & (t.user_integrations.c.provider == provider.value)
                )
            )
        ).first()
        return m.connection_from(row._mapping) if row else None

    async def save(self, connection: SocialConnection) -> None:
        values = m.connection_values(connection)
        statement = upsert(self._c, t.user_integrations).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "provider"],
            set_={k: statement.excluded[k] for k in values if k not in ("user_id", "provider")},
        )
        await self._c.execute(statement)

    async def list_for_user(self, user_id: UserId) -> Sequence[SocialConnection]:
        rows = await self._c.execute(
            sa.select(t.user_integrations)
            .where(t.user_integrations.c.user_id == user_id)
            .order_by(t.user_integrations.c.provider)
        )
        return [m.connection_from(r._mapping) for r in rows]

    async def claim_refresh(
        self, user_id: UserId, provider: SocialProvider, *, now: datetime, until: datetime
    ) -> bool:
        # one conditional UPDATE: PostgreSQL re-checks the WHERE after a concurrent writer
        # commits (so the second claimant matches no row); SQLite writers are serialised
        c = t.user_integrations.c
        result = await self._c.execute(
            t.user_integrations.update()
            .where(
                (c.user_id == user_id)
                & (c.provider == provider.value)
                & (c.status == ConnectionStatus.CONNECTED.value)
                & (c.refresh_claimed_until.is_(None) | (c.refresh_claimed_until <= now))
            )
            .values(refresh_claimed_until=until)
        )
        return bool(result.rowcount == 1)

    async def due_for_refresh(self, before: datetime, *, limit: int) -> Sequence[SocialConnection]:
        c = t.user_integrations.c
        rows = await self._c.execute(
            sa.select(t.user_integrations)
            .where(
                (c.status == ConnectionStatus.CONNECTED.value)
                & c.token_expires_at.is_not(None)
                & (c.token_expires_at < before)
            )
            .order_by(c.token_expires_at, c.user_id, c.provider)
            .limit(limit)
        )
        return [m.connection_from(r._mapping) for r in rows]

    async def list_all(
        self, *, after: tuple[UserId, SocialProvider] | None = None, limit: int = 200
    ) -> Sequence[SocialConnection]:
        c = t.user_integrations.c
        query = sa.select(t.user_integrations).order_by(c.user_id, c.provider).limit(limit)
        if after is not None:
            query = query.where(
                sa.tuple_(c.user_id, c.provider)
                > sa.tuple_(sa.literal(after[0]), sa.literal(after[1].value))
            )
        rows = await self._c.execute(query)
        return [m.connection_from(r._mapping) for r in rows]


class SqlOAuthStateRepository(_Repo):
    async def add(self, state: OAuthState) -> None:
        await self._insert(t.oauth_states, m.oauth_state_values(state), "oauth state")

    async def pop(self, state: str) -> OAuthState | None:
        row = (
            await self._c.execute(
                t.oauth_states.delete()
                .where(t.oauth_states.c.state == state)
                .returning(*t.oauth_states.c)
            )
        ).first()
        return m.oauth_state_from(row._mapping) if row else None


class SqlPostRepository(_Repo):
    async def add(self, post: Post) -> None:
        await self._insert(t.video_posts, m.post_values(post), f"post {post.id}")

    async def _one(self, where: sa.ColumnElement[bool], post_id: PostId) -> Post:
        query = self._locked(sa.select(t.video_posts).where(where))
        row = (await self._c.execute(query)).first()
        if row is None:
            raise NotFound(f"post {post_id} not found")
        return m.post_from(row._mapping)

    async def get(self, user_id: UserId, post_id: PostId) -> Post:
        where = (t.video_posts.c.id == post_id) & (t.video_posts.c.user_id == user_id)
        return await self._one(where, post_id)

    async def get_any(self, post_id: PostId) -> Post:
        return await self._one(t.video_posts.c.id == post_id, post_id)

    async def save(self, post: Post) -> None:
        await self._c.execute(
            t.video_posts.update()
            .where(t.video_posts.c.id == post.id)
            .values(**m.post_values(post))
        )

    async def list_for_user(self, user_id: UserId, *, limit: int = 50) -> Sequence[Post]:
        rows = await self._c.execute(
            sa.select(t.video_posts)
            .where(t.video_posts.c.user_id == user_id)
            .order_by(t.video_posts.c.created_at.desc(), t.video_posts.c.id.desc())
            .limit(limit)
        )
        return [m.post_from(r._mapping) for r in rows]

    async def stale(self, updated_before: datetime, *, limit: int = 100) -> Sequence[Post]:
        posts = t.video_posts
        rows = await self._c.execute(
            sa.select(posts)
            .where(
                (posts.c.status == PostStatus.PUBLISHING.value)
                & (posts.c.updated_at < updated_before)
            )
            .order_by(posts.c.updated_at, posts.c.id)
            .limit(limit)
        )
        return [m.post_from(r._mapping) for r in rows]


class SqlIdempotencyRepository(_Repo):
    async def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        row = (
            await self._c.execute(
                sa.select(t.idempotency_keys).where(
                    (t.idempotency_keys.c.scope == scope) & (t.idempotency_keys.c.key == key)
                )
            )
        ).first()
        return m.idempotency_from(row._mapping) if row is not None else None

    async def add(self, record: IdempotencyRecord) -> None:
        await self._insert(
            t.idempotency_keys,
            m.idempotency_values(record),
            f"idempotency key {record.key!r}",
            expected=True,
        )


class SqlJobOutbox(_Repo):
    def __init__(self, conn: AsyncConnection, ids: IdGenerator, now: datetime) -> None:
        super().__init__(conn)
        self._ids = ids
        self._now = now

    async def defer(self, job: Job) -> None:
        statement = upsert(self._c, t.jobs).values(
            id=self._ids.new_id(),
            name=job.name,
            payload=dict(job.payload),
            run_at=job.run_at,
            status="waiting",
            attempts=0,
            error=None,
            dedupe_key=job.dedupe_key,
            created_at=self._now,
        )
        if job.dedupe_key is not None:
            where = sa.text("status = 'waiting' AND dedupe_key IS NOT NULL")
            statement = statement.on_conflict_do_nothing(
                index_elements=["dedupe_key"], index_where=where
            )
        await self._c.execute(statement)


class MemoryEventLog:
    """Events of one unit of work; handed to the publisher after commit."""

    def __init__(self) -> None:
        self.recorded: list[DomainEvent] = []

    def record(self, event: DomainEvent) -> None:
        self.recorded.append(event)
