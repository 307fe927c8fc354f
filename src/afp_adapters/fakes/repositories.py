"""In-memory repositories over the tables of one unit of work. Rows go in and out as copies,
so nothing a caller holds can change the database behind the unit of work's back."""

from __future__ import annotations

import copy
import operator
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from afp_adapters.fakes._state import JobRecord, Tables
from afp_core.domain.batch import Batch, BatchItem
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
from afp_core.domain.users import Role, User
from afp_core.domain.video import Video, VideoStatus
from afp_core.ports.repositories import UserTotals, VideoState
from afp_core.ports.system import IdGenerator


class InMemoryUserRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, user: User) -> None:
        if any(u.email == user.email for u in self._t.users.values()):
            raise Conflict(f"{user.email} is already registered")
        self._t.users[user.id] = copy.deepcopy(user)

    async def get(self, user_id: UserId) -> User:
        if user_id not in self._t.users:
            raise NotFound(f"user {user_id} not found")
        return copy.deepcopy(self._t.users[user_id])

    async def by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        found = next((u for u in self._t.users.values() if u.email == wanted), None)
        return copy.deepcopy(found)

    async def list(self, *, limit: int = 50, offset: int = 0) -> Sequence[User]:
        users = sorted(self._t.users.values(), key=lambda u: (u.created_at, u.id))
        return [copy.deepcopy(u) for u in users[offset : offset + limit]]

    async def totals(self) -> UserTotals:
        accounts = [a for uid, a in self._t.accounts.items() if uid in self._t.users]
        return UserTotals(
            users=len(self._t.users),
            balance=sum(a.balance for a in accounts),
            reserved=sum(a.reserved for a in accounts),
            debt=sum(a.debt for a in accounts),
        )

    async def set_password_hash(self, user_id: UserId, password_hash: str, now: datetime) -> None:
        user = await self.get(user_id)
        user.password_hash = password_hash
        self._t.users[user_id] = user


class InMemoryCredentialRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, credential: Credential) -> None:
        if credential.id in self._t.credentials or any(
            c.token_hash == credential.token_hash for c in self._t.credentials.values()
        ):
            raise Conflict(f"credential {credential.id} already exists")
        self._t.credentials[credential.id] = copy.deepcopy(credential)

    async def by_token_hash(self, token_hash: str) -> Credential | None:
        found = next((c for c in self._t.credentials.values() if c.token_hash == token_hash), None)
        return copy.deepcopy(found)

    async def holder_by_token_hash(self, token_hash: str) -> tuple[Credential, Role] | None:
        found = await self.by_token_hash(token_hash)
        user = self._t.users.get(found.user_id) if found is not None else None
        return (found, user.role) if found is not None and user is not None else None

    async def get(self, user_id: UserId, credential_id: str) -> Credential:
        found = self._t.credentials.get(credential_id)
        if found is None or found.user_id != user_id:
            raise NotFound(f"credential {credential_id} not found")
        return copy.deepcopy(found)

    async def save(self, credential: Credential) -> None:
        stored = await self.get(credential.user_id, credential.id)
        stored.revoked_at = stored.revoked_at or credential.revoked_at
        if credential.last_used_at is not None and (
            stored.last_used_at is None or credential.last_used_at > stored.last_used_at
        ):
            stored.last_used_at = credential.last_used_at
        self._t.credentials[credential.id] = stored

    async def list_api_keys(self, user_id: UserId) -> Sequence[Credential]:
        keys = [
            c
            for c in self._t.credentials.values()
            if c.user_id == user_id and c.kind is CredentialKind.API_KEY
        ]
        keys.sort(key=lambda c: (c.created_at, c.id))
        return [copy.deepcopy(c) for c in keys]


class InMemoryVideoRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, video: Video) -> None:
        self._t.videos[video.id] = copy.deepcopy(video)

    async def get(self, user_id: UserId, video_id: VideoId) -> Video:
        video = self._t.videos.get(video_id)
        if video is None or video.user_id != user_id:
            raise NotFound(f"video {video_id} not found")
        return copy.deepcopy(video)

    async def state_of(self, user_id: UserId, video_id: VideoId) -> VideoState:
        video = await self.get(user_id, video_id)
        return VideoState(video.id, video.status, video.updated_at, video.error_reason)

    async def get_any(self, video_id: VideoId) -> Video:
        video = self._t.videos.get(video_id)
        if video is None:
            raise NotFound(f"video {video_id} not found")
        return copy.deepcopy(video)

    async def by_task_id(self, provider_task_id: str) -> Video | None:
        found = next(
            (v for v in self._t.videos.values() if v.provider_task_id == provider_task_id), None
        )
        return copy.deepcopy(found)

    async def save(self, video: Video) -> None:
        if video.id not in self._t.videos:
            raise NotFound(f"video {video.id} not found")
        self._t.videos[video.id] = copy.deepcopy(video)

    def _newest(
        self, videos: list[Video], status: VideoStatus | None, limit: int, offset: int
    ) -> Sequence[Video]:
        chosen = [v for v in videos if status is None or v.status is status]
        chosen.sort(key=lambda v: (v.created_at, v.id), reverse=True)
        return [copy.deepcopy(v) for v in chosen[offset : offset + limit]]

    async def list_for_user(
        self,
        user_id: UserId,
        *,
        status: VideoStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[Video]:
        mine = [v for v in self._t.videos.values() if v.user_id == user_id]
        return self._newest(mine, status, limit, offset)

    async def list_all(
        self, *, status: VideoStatus | None = None, limit: int = 50, offset: int = 0
    ) -> Sequence[Video]:
        return self._newest(list(self._t.videos.values()), status, limit, offset)

    async def count_by_status(self, user_id: UserId) -> Mapping[VideoStatus, int]:
        return dict(Counter(v.status for v in self._t.videos.values() if v.user_id == user_id))

    async def count_all_by_status(self) -> Mapping[VideoStatus, int]:
        return dict(Counter(v.status for v in self._t.videos.values()))

    async def stuck(
        self, now: datetime, *, submit_started_before: datetime, limit: int = 500
    ) -> Sequence[Video]:
        def is_stuck(v: Video) -> bool:
            in_doubt = v.submit_started_at is not None and v.submit_started_at < (
                submit_started_before
            )
            return v.deadline <= now or (v.status is VideoStatus.QUEUED and in_doubt)

        found = [v for v in self._t.videos.values() if not v.is_terminal and is_stuck(v)]
        found.sort(key=lambda v: (v.deadline, v.id))
        return [copy.deepcopy(v) for v in found[:limit]]


_ITEM_FIELDS = operator.attrgetter(*(f.name for f in attrs.fields(BatchItem)))


def _copy_item(item: BatchItem) -> BatchItem:
    """Item fields are values (strings, numbers, datetimes, a mapping never changed in
    place), so rebuilding the item is a full copy, and far cheaper than a deepcopy."""
    return BatchItem(*_ITEM_FIELDS(item))


def _copy_header(header: BatchHeader) -> BatchHeader:
    return attrs.evolve(
        header, tally=attrs.evolve(header.tally), retry_holds=list(header.retry_holds)
    )


class InMemoryBatchRepository:
    """Stores a batch as the SQL tables do: a header with its tally (`tables.batches`), its
    items one by one (`tables.batch_items`) and their order (`tables.batch_rows`)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def _store(self, batch: Batch) -> None:
        self._t.batches[batch.id] = BatchHeader.of(batch)
        for item in batch.items:
            self._t.batch_items[(batch.id, item.id)] = _copy_item(item)

    async def add(self, batch: Batch) -> None:
        self._store(batch)
        self._t.batch_rows[batch.id] = tuple(i.id for i in batch.items)

    def _whole(self, header: BatchHeader | None, batch_id: BatchId) -> Batch:
        if header is None:
            raise NotFound(f"batch {batch_id} not found")
        items = self._t.batch_items
        return Batch(
            id=header.id,
            user_id=header.user_id,
            hold_id=header.hold_id,
            items=[_copy_item(items[(batch_id, i)]) for i in self._t.batch_rows[batch_id]],
            created_at=header.created_at,
            updated_at=header.updated_at,
            cancelled_at=header.cancelled_at,
            metadata=header.metadata,
            budget=header.budget,
            window=header.window,
            retry_holds=list(header.retry_holds),
        )

    async def get(self, user_id: UserId, batch_id: BatchId) -> Batch:
        header = self._t.batches.get(batch_id)
        if header is None or header.user_id != user_id:
            raise NotFound(f"batch {batch_id} not found")
        return self._whole(header, batch_id)

    async def get_any(self, batch_id: BatchId) -> Batch:
        return self._whole(self._t.batches.get(batch_id), batch_id)

    async def save(self, batch: Batch) -> None:
        if batch.id not in self._t.batches:
            raise NotFound(f"batch {batch.id} not found")
        self._store(batch)

    async def get_header(
        self,
        batch_id: BatchId,
        *,
        owner: UserId | None = None,
        lock: bool = False,  # units of work here run one at a time
    ) -> BatchHeader:
        header = self._t.batches.get(batch_id)
        if header is None or (owner is not None and header.user_id != owner):
            raise NotFound(f"batch {batch_id} not found")
        return _copy_header(header)

    async def get_item(
        self,
        batch_id: BatchId,
        item_id: BatchItemId,
        *,
        lock: bool = False,  # units of work here run one at a time
    ) -> BatchItem:
        item = self._t.batch_items.get((batch_id, item_id))
        if item is None:
            raise NotFound(f"batch item {item_id} not found")
        return _copy_item(item)

    async def next_to_dispatch(self, batch_id: BatchId, limit: int) -> Sequence[BatchItem]:
        items = self._t.batch_items
        stored = (items[(batch_id, i)] for i in self._t.batch_rows.get(batch_id, ()))
        waiting = sorted((i for i in stored if i.waiting), key=lambda i: (i.row_index, i.id))
        return [_copy_item(i) for i in waiting[: max(limit, 0)]]

    async def save_item(self, batch_id: BatchId, item: BatchItem) -> None:
        if (batch_id, item.id) not in self._t.batch_items:
            raise NotFound(f"batch item {item.id} not found")
        self._t.batch_items[(batch_id, item.id)] = _copy_item(item)

    async def save_header(self, header: BatchHeader) -> None:
        if header.id not in self._t.batches:
            raise NotFound(f"batch {header.id} not found")
        self._t.batches[header.id] = _copy_header(header)

    async def in_flight_by_user(self) -> Mapping[UserId, tuple[int, int]]:
        found: dict[UserId, tuple[int, int]] = {}
        for header in self._t.batches.values():
            tally = header.tally
            if not tally.in_flight:
                continue
            running, queued = found.get(header.user_id, (0, 0))
            found[header.user_id] = (
                running + tally.in_flight_running,
                queued + tally.in_flight_queued,
            )
        return found


class InMemoryPurchaseRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, purchase: Purchase) -> None:
        self._t.purchases[purchase.id] = copy.deepcopy(purchase)

    async def get(self, purchase_id: PurchaseId, *, lock: bool = False) -> Purchase | None:
        return copy.deepcopy(self._t.purchases.get(purchase_id))

    async def by_payment_id(
        self, provider: PaymentProviderName, payment_id: str, *, lock: bool = False
    ) -> Purchase | None:
        found = next(
            (
                p
                for p in self._t.purchases.values()
                if p.provider is provider and p.payment_id == payment_id
            ),
            None,
        )
        return copy.deepcopy(found)

    async def save(self, purchase: Purchase) -> None:
        if purchase.payment_id is not None and any(
            p.id != purchase.id
            and p.provider is purchase.provider
            and p.payment_id == purchase.payment_id
            for p in self._t.purchases.values()
        ):
            raise Conflict(f"payment {purchase.payment_id} already belongs to a purchase")
        self._t.purchases[purchase.id] = copy.deepcopy(purchase)

    async def list_all(
        self, *, since: datetime | None = None, limit: int = 1000
    ) -> Sequence[Purchase]:
        found = [p for p in self._t.purchases.values() if since is None or p.created_at >= since]
        found.sort(key=lambda p: (p.created_at, p.id), reverse=True)
        return [copy.deepcopy(p) for p in found[:limit]]


class InMemoryWebhookInbox:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def record(self, delivery: WebhookDelivery) -> bool:
        key = (delivery.provider, delivery.event_id)
        if key in self._t.webhook_events:
            return False
        self._t.webhook_events[key] = delivery
        return True

    async def set_outcome(self, provider: str, event_id: str, outcome: str) -> None:
        key = (provider, event_id)
        stored = self._t.webhook_events.get(key)
        if stored is not None:
            self._t.webhook_events[key] = attrs.evolve(stored, outcome=outcome)

    async def for_purchase(self, purchase_id: PurchaseId) -> Sequence[WebhookDelivery]:
        found = [d for d in self._t.webhook_events.values() if d.purchase_id == purchase_id]
        return sorted(found, key=lambda d: d.received_at)


class InMemorySocialConnectionRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def get(self, user_id: UserId, provider: SocialProvider) -> SocialConnection | None:
        return copy.deepcopy(self._t.connections.get((user_id, provider.value)))

    async def save(self, connection: SocialConnection) -> None:
        key = (connection.user_id, connection.provider.value)
        self._t.connections[key] = copy.deepcopy(connection)

    async def list_for_user(self, user_id: UserId) -> Sequence[SocialConnection]:
        mine = [c for (uid, _), c in self._t.connections.items() if uid == user_id]
        return [copy.deepcopy(c) for c in sorted(mine, key=lambda c: c.provider.value)]

    async def claim_refresh(
        self, user_id: UserId, provider: SocialProvider, *, now: datetime, until: datetime
    ) -> bool:
        found = self._t.connections.get((user_id, provider.value))
        if found is None or found.status is not ConnectionStatus.CONNECTED:
            return False
        if found.refresh_claimed_until is not None and found.refresh_claimed_until > now:
            return False
        claimed = copy.deepcopy(found)
        claimed.refresh_claimed_until = until
        self._t.connections[(user_id, provider.value)] = claimed
        return True

    async def due_for_refresh(self, before: datetime, *, limit: int) -> Sequence[SocialConnection]:
        due = [
            c
            for c in self._t.connections.values()
            if c.status is ConnectionStatus.CONNECTED
            and c.expires_at is not None
            and c.expires_at < before
        ]
        due.sort(key=lambda c: (c.expires_at, c.user_id, c.provider.value))
        return [copy.deepcopy(c) for c in due[:limit]]

    async def list_all(
        self, *, after: tuple[UserId, SocialProvider] | None = None, limit: int = 200
    ) -> Sequence[SocialConnection]:
        start = (after[0], after[1].value) if after else None
        keys = sorted(k for k in self._t.connections if start is None or k > start)
        return [copy.deepcopy(self._t.connections[k]) for k in keys[:limit]]


class InMemoryOAuthStateRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, state: OAuthState) -> None:
        self._t.oauth_states[state.state] = state

    async def pop(self, state: str) -> OAuthState | None:
        return self._t.oauth_states.pop(state, None)


class InMemoryPostRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, post: Post) -> None:
        self._t.posts[post.id] = copy.deepcopy(post)

    async def get(self, user_id: UserId, post_id: PostId) -> Post:
        post = self._t.posts.get(post_id)
        if post is None or post.user_id != user_id:
            raise NotFound(f"post {post_id} not found")
        return copy.deepcopy(post)

    async def get_any(self, post_id: PostId) -> Post:
        post = self._t.posts.get(post_id)
        if post is None:
            raise NotFound(f"post {post_id} not found")
        return copy.deepcopy(post)

    async def save(self, post: Post) -> None:
        self._t.posts[post.id] = copy.deepcopy(post)

    async def list_for_user(self, user_id: UserId, *, limit: int = 50) -> Sequence[Post]:
        mine = sorted(
            (p for p in self._t.posts.values() if p.user_id == user_id),
            key=lambda p: (p.created_at, p.id),
            reverse=True,
        )
        return [copy.deepcopy(p) for p in mine[:limit]]

    async def stale(self, updated_before: datetime, *, limit: int = 100) -> Sequence[Post]:
        found = sorted(
            (
                p
                for p in self._t.posts.values()
                if p.status is PostStatus.PUBLISHING and p.updated_at < updated_before
            ),
            key=lambda p: (p.updated_at, p.id),
        )
        return [copy.deepcopy(p) for p in found[:limit]]


class InMemoryIdempotencyRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        return self._t.idempotency.get((scope, key))

    async def add(self, record: IdempotencyRecord) -> None:
        if (record.scope, record.key) in self._t.idempotency:
            raise Conflict(f"idempotency key {record.key!r} is being used concurrently")
        self._t.idempotency[(record.scope, record.key)] = record


class InMemoryJobOutbox:
    def __init__(self, tables: Tables, ids: IdGenerator) -> None:
        self._t = tables
        self._ids = ids

    async def defer(self, job: Job) -> None:
        if job.dedupe_key is not None and any(
            r.job.dedupe_key == job.dedupe_key and r.status == "waiting"
            for r in self._t.jobs.values()
        ):
            return
        job_id = self._ids.new_id()
        self._t.jobs[job_id] = JobRecord(id=job_id, job=job, run_at=job.run_at)


class InMemoryEventLog:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def record(self, event: DomainEvent) -> None:
        self._t.events.append(event)
