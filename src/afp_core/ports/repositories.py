"""Repositories: collections of aggregates, always scoped to their owner.

Every lookup of a user's data takes the `user_id` and answers `NotFound` for another user's
resource, so ownership is enforced where the data is read, not after.
Writes take effect when the unit of work commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from afp_core.domain.batch import Batch, BatchItem
from afp_core.domain.batch_header import BatchHeader
from afp_core.domain.events import DomainEvent
from afp_core.domain.idempotency import IdempotencyRecord
from afp_core.domain.ids import BatchId, BatchItemId, PostId, PurchaseId, UserId, VideoId
from afp_core.domain.jobs import Job
from afp_core.domain.payments import PaymentProviderName, Purchase, WebhookDelivery
from afp_core.domain.social import OAuthState, Post, SocialConnection, SocialProvider
from afp_core.domain.users import User
from afp_core.domain.video import Video, VideoStatus


@attrs.frozen
class UserTotals:
    """Every account together (admin statistics)."""

    users: int
    balance: int  # credits all accounts hold, reserved ones included
    reserved: int  # held for videos and batches that have not ended
    debt: int  # credits refunds could not claw back yet

    @property
    def available(self) -> int:
        return self.balance - self.reserved


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Store a new user; `Conflict` if the email is taken."""
        ...

    async def get(self, user_id: UserId) -> User:
        """The user or `NotFound`."""
        ...

    async def by_email(self, email: str) -> User | None:
        """The user with this (normalised) email, if any."""
        ...

    async def set_password_hash(self, user_id: UserId, password_hash: str, now: datetime) -> None:
        """Replace the user's password hash (a rehash at login); `NotFound` for no such user."""
        ...

    async def list(self, *, limit: int = 50, offset: int = 0) -> Sequence[User]:
        """Users ordered by creation."""
        ...

    async def totals(self) -> UserTotals:
        """How many users there are and the credits their accounts hold together."""
        ...


@attrs.frozen
class VideoState:
    """Where a video is, without the rest of it (the status route's read)."""

    id: VideoId
    status: VideoStatus
    updated_at: datetime
    error_reason: str | None


class VideoRepository(Protocol):
    async def add(self, video: Video) -> None:
        """Store a new video."""
        ...

    async def get(self, user_id: UserId, video_id: VideoId) -> Video:
        """The user's video or `NotFound`."""
        ...

    async def get_any(self, video_id: VideoId) -> Video:
        """A video by id for workers (no owner filter), or `NotFound`."""
        ...

    async def state_of(self, user_id: UserId, video_id: VideoId) -> VideoState:
        """The user's video's status columns only, or `NotFound`; never locks."""
        ...

    async def by_task_id(self, provider_task_id: str) -> Video | None:
        """The video a provider task belongs to (callbacks carry only the task id)."""
        ...

    async def save(self, video: Video) -> None:
        """Persist the changes made to a loaded video."""
        ...

    async def list_for_user(
        self,
        user_id: UserId,
        *,
        status: VideoStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[Video]:
        """The user's videos, newest first."""
        ...

    async def list_all(
        self, *, status: VideoStatus | None = None, limit: int = 50, offset: int = 0
    ) -> Sequence[Video]:
        """Every user's videos, newest first (admin)."""
        ...

    async def count_by_status(self, user_id: UserId) -> Mapping[VideoStatus, int]:
        """How many videos the user has in each status (statuses with none are left out)."""
        ...

    async def count_all_by_status(self) -> Mapping[VideoStatus, int]:
        """How many videos every user has together in each status (admin; none: left out)."""
        ...

    async def stuck(
        self, now: datetime, *, submit_started_before: datetime, limit: int = 500
    ) -> Sequence[Video]:
        """Every user's videos that have not ended and either passed their deadline
        (`deadline <= now`) or are QUEUED with a create call in flight since before
        `submit_started_before`; earliest deadline first (for the sweeper)."""
        ...


class BatchRepository(Protocol):
    """Whole batches (`get`, `save`: start, cancel, retry, results) and, for the work on one
    item, the header, the item and the next waiting items on their own (`get_header`,
    `get_item`, `next_to_dispatch`, `save_item`, `save_header`), so running an item of a
    10,000-row batch reads and writes as many rows as in a 10-row one."""

    async def add(self, batch: Batch) -> None:
        """Store a batch with its items."""
        ...

    async def get(self, user_id: UserId, batch_id: BatchId) -> Batch:
        """The user's batch or `NotFound`."""
        ...

    async def get_any(self, batch_id: BatchId) -> Batch:
        """A batch by id for workers, or `NotFound`."""
        ...

    async def save(self, batch: Batch) -> None:
        """Persist the changes made to a loaded batch and its items (its tally recounted)."""
        ...

    async def get_header(
        self, batch_id: BatchId, *, owner: UserId | None = None, lock: bool = False
    ) -> BatchHeader:
        """The batch without its items, its `BatchTally` as stored; `NotFound` if there is
        none (or it is not `owner`'s). `lock`: hold the batch row until the unit of work ends.
        Every change to a batch's items takes that lock first (`get`/`get_any` take it too),
        so two settlements of one batch apply one after the other and neither loses the
        other's item or count. Costs the same whatever the number of items."""
        ...

    async def get_item(
        self, batch_id: BatchId, item_id: BatchItemId, *, lock: bool = False
    ) -> BatchItem:
        """One item of the batch, or `NotFound`. `lock`: hold its row too."""
        ...

    async def next_to_dispatch(self, batch_id: BatchId, limit: int) -> Sequence[BatchItem]:
        """At most `limit` of the batch's waiting items (PENDING, not dispatched), in row
        order: what `BatchHeader.dispatch` chooses from. An indexed read of `limit` rows."""
        ...

    async def save_item(self, batch_id: BatchId, item: BatchItem) -> None:
        """Persist the changes made to one loaded item (its header saved beside it)."""
        ...

    async def save_header(self, header: BatchHeader) -> None:
        """Persist the changes made to a loaded header: its fields and its tally."""
        ...

    async def in_flight_by_user(self) -> Mapping[UserId, tuple[int, int]]:
        """Per user with batch items in flight: (items RUNNING, items PENDING whose job is
        queued), dispatched items only. Users with neither are absent. What the concurrency
        limits read: the running batches' tallies summed, not their items."""
        ...


class PurchaseRepository(Protocol):
    async def add(self, purchase: Purchase) -> None: ...

    async def get(self, purchase_id: PurchaseId, *, lock: bool = False) -> Purchase | None:
        """Any user's purchase (webhooks carry only its id). `lock`: hold the row until the
        unit of work ends, so two deliveries about one purchase apply one after the other."""
        ...

    async def by_payment_id(
        self, provider: PaymentProviderName, payment_id: str, *, lock: bool = False
    ) -> Purchase | None: ...

    async def save(self, purchase: Purchase) -> None: ...

    async def list_all(
        self, *, since: datetime | None = None, limit: int = 1000
    ) -> Sequence[Purchase]:
        """Every user's purchases, newest first (admins, reconciliation)."""
        ...


class WebhookInbox(Protocol):
    async def record(self, delivery: WebhookDelivery) -> bool:
        """Store a verified delivery raw; False (and nothing stored) when
        `(provider, event_id)` was seen before."""
        ...

    async def set_outcome(self, provider: str, event_id: str, outcome: str) -> None:
        """What was done with a stored delivery (credited, refunded, deferred, ...)."""
        ...

    async def for_purchase(self, purchase_id: PurchaseId) -> Sequence[WebhookDelivery]:
        """The stored deliveries about one purchase, oldest first."""
        ...


class SocialConnectionRepository(Protocol):
    async def get(self, user_id: UserId, provider: SocialProvider) -> SocialConnection | None: ...

    async def save(self, connection: SocialConnection) -> None:
        """Insert or replace the user's connection to that provider."""
        ...

    async def list_for_user(self, user_id: UserId) -> Sequence[SocialConnection]: ...

    async def claim_refresh(
        self, user_id: UserId, provider: SocialProvider, *, now: datetime, until: datetime
    ) -> bool:
        """Take the connection's refresh lease until `until` with one conditional update: True
        only when it is CONNECTED and nobody holds an unexpired lease, so of two workers that
        ask at once exactly one wins (once the unit of work commits)."""
        ...

    async def due_for_refresh(self, before: datetime, *, limit: int) -> Sequence[SocialConnection]:
        """CONNECTED connections whose tokens expire before `before`, soonest first."""
        ...

    async def list_all(
        self, *, after: tuple[UserId, SocialProvider] | None = None, limit: int = 200
    ) -> Sequence[SocialConnection]:
        """Every connection in `(user_id, provider)` order, from just after `after` (to walk
        them all a page at a time)."""
        ...


class OAuthStateRepository(Protocol):
    async def add(self, state: OAuthState) -> None: ...

    async def pop(self, state: str) -> OAuthState | None:
        """Take the pending state out (single use); None if unknown."""
        ...


class PostRepository(Protocol):
    async def add(self, post: Post) -> None: ...

    async def get(self, user_id: UserId, post_id: PostId) -> Post: ...

    async def get_any(self, post_id: PostId) -> Post: ...

    async def save(self, post: Post) -> None: ...

    async def list_for_user(self, user_id: UserId, *, limit: int = 50) -> Sequence[Post]: ...

    async def stale(self, updated_before: datetime, *, limit: int = 100) -> Sequence[Post]:
        """Any user's posts still PUBLISHING whose last step is older than `updated_before`
        (their job died for good): oldest first."""
        ...


class IdempotencyRepository(Protocol):
    """Use-case level idempotency (e.g. StartVideo with an `Idempotency-Key`)."""

    async def get(self, scope: str, key: str) -> IdempotencyRecord | None: ...

    async def add(self, record: IdempotencyRecord) -> None:
        """Store a used key; a concurrent duplicate makes the unit of work fail on commit."""
        ...


class JobOutbox(Protocol):
    """Jobs deferred inside the unit of work: they become runnable only if it commits."""

    async def defer(self, job: Job) -> None: ...


class EventLog(Protocol):
    """Domain events recorded inside the unit of work, published after commit."""

    def record(self, event: DomainEvent) -> None: ...


__all__ = [
    "BatchRepository",
    "EventLog",
    "IdempotencyRepository",
    "JobOutbox",
    "OAuthStateRepository",
    "PostRepository",
    "PurchaseRepository",
    "SocialConnectionRepository",
    "UserRepository",
    "UserTotals",
    "VideoRepository",
    "VideoState",
    "WebhookInbox",
]
