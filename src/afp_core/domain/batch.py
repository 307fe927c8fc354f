"""Batches: many products, one reservation, per-item settlement.

Starting a batch holds the sum of its items' prices at once. Each item then settles exactly
once: success captures its price from the batch hold, failure releases it. Cancelling ends every
item still open and releases what they held. Status and progress derive from the items.

Items run through a window: at most `window` of a batch's items are dispatched (their job
queued) and not yet settled at any time; settling one dispatches the next. Retrying the failed
items puts them back in line on a new hold of their own (`BatchItem.hold_id`), as attempt 2, 3...
A batch may carry a `budget`: what it captures plus what it holds never exceeds it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from afp_core.domain.errors import BudgetExceeded, IllegalTransition, NotFound, ValidationFailed
from afp_core.domain.ids import BatchId, BatchItemId, HoldId, UserId, VideoId

MAX_ROWS_DEFAULT = 1000
WINDOW_DEFAULT = 4


class ItemStatus(enum.StrEnum):
    PENDING = "PENDING"  # waiting for a worker
    RUNNING = "RUNNING"  # a video is being made for it
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in (ItemStatus.SUCCEEDED, ItemStatus.FAILED, ItemStatus.CANCELLED)


class BatchStatus(enum.StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"  # every item succeeded
    PARTIAL = "PARTIAL"  # ended with some failures
    FAILED = "FAILED"  # ended with no success
    CANCELLED = "CANCELLED"


@attrs.frozen
class BatchRow:
    """One validated input row (one product URL with optional options)."""

    row_index: int
    url: str
    options: Mapping[str, str] = attrs.field(factory=dict)


@attrs.define
class BatchItem:
    id: BatchItemId
    row_index: int
    url: str
    price: int
    options: Mapping[str, str] = attrs.field(factory=dict)
    status: ItemStatus = ItemStatus.PENDING
    video_id: VideoId | None = None
    credits_used: int = 0
    error: str | None = None
    settled_at: datetime | None = None
    hold_id: HoldId | None = None  # None: the batch's own hold; a retry names its new hold
    attempts: int = 1
    dispatched_at: datetime | None = None  # when its job was queued (in the window since)

    @property
    def settle_key(self) -> str:
        """The ledger key of this attempt's settlement (attempt 1 keeps the original key)."""
        suffix = "" if self.attempts == 1 else f":{self.attempts}"
        return f"item:{self.id}:settle{suffix}"

    @property
    def in_flight(self) -> bool:
        return self.dispatched_at is not None and not self.status.is_final

    @property
    def waiting(self) -> bool:
        return self.status is ItemStatus.PENDING and self.dispatched_at is None


@attrs.frozen
class ItemSettlement:
    """What settling an item means for the ledger: capture or release `amount`."""

    item_id: BatchItemId
    captured: int
    released: int
    already_settled: bool = False


@attrs.frozen
class BatchProgress:
    total: int
    pending: int
    running: int
    succeeded: int
    failed: int
    cancelled: int
    credits_reserved: int
    credits_captured: int
    credits_released: int

    @property
    def processed(self) -> int:
        return self.succeeded + self.failed + self.cancelled

    @property
    def credits_open(self) -> int:
        return self.credits_reserved - self.credits_captured - self.credits_released


@attrs.define
class Batch:
    id: BatchId
    user_id: UserId
    hold_id: HoldId
    items: list[BatchItem]
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None = None
    metadata: Mapping[str, str] = attrs.field(factory=dict)
    budget: int | None = None  # credits this batch may ever capture or hold, all attempts
    window: int = WINDOW_DEFAULT  # items dispatched and not yet settled, at most
    retry_holds: list[HoldId] = attrs.field(factory=list)  # one per retry, oldest first

    def __attrs_post_init__(self) -> None:
        if not self.items:
            raise ValidationFailed("a batch needs at least one item")
        if self.window < 1:
            raise ValidationFailed("a batch's window is at least 1")
        if self.budget is not None:
            check_budget(self.total_credits_reserved, self.budget)

    def hold_of(self, item: BatchItem) -> HoldId:
        return item.hold_id or self.hold_id

    @property
    def hold_ids(self) -> tuple[HoldId, ...]:
        """Every hold the batch has used: its own first, then each retry's."""
        return (self.hold_id, *self.retry_holds)

    @property
    def in_flight(self) -> int:
        return sum(1 for i in self.items if i.in_flight)

    def dispatch(self, now: datetime) -> list[BatchItem]:
        """Fill the window: the next waiting items (in row order) to queue now."""
        if self.cancelled_at is not None:
            return []
        room = self.window - self.in_flight
        chosen = [i for i in self.items if i.waiting][: max(room, 0)]
        for item in chosen:
            item.dispatched_at = now
        if chosen:
            self.updated_at = now
        return chosen

    def failed_items(self) -> list[BatchItem]:
        return [i for i in self.items if i.status is ItemStatus.FAILED]

    def retryable(self) -> list[BatchItem]:
        """The failed items a retry would run again; `IllegalTransition` when there are none
        or the batch was cancelled."""
        if self.cancelled_at is not None:
            raise IllegalTransition(f"batch {self.id} was cancelled; its items cannot be retried")
        failed = self.failed_items()
        if not failed:
            raise IllegalTransition(f"batch {self.id} has no failed items to retry")
        return failed

    def retry_failed(self, hold_id: HoldId, now: datetime) -> list[BatchItem]:
        """Put every failed item back in line on `hold_id` as its next attempt."""
        failed = self.retryable()
        self.retry_holds.append(hold_id)
        for item in failed:
            item.status = ItemStatus.PENDING
            item.hold_id = hold_id
            item.attempts += 1
            item.video_id = None
            item.error = None
            item.settled_at = None
            item.dispatched_at = None
        self.updated_at = now
        return failed

    def eta(self) -> timedelta | None:
        """Time left: the mean time of the items settled so far (dispatch to settlement), once
        per round of `window` items still open; None before any item has settled."""
        took = [
            i.settled_at - i.dispatched_at
            for i in self.items
            if i.status in (ItemStatus.SUCCEEDED, ItemStatus.FAILED)
            and i.settled_at is not None
            and i.dispatched_at is not None
        ]
        remaining = sum(1 for i in self.items if not i.status.is_final)
        if self.cancelled_at is not None or remaining == 0:
            return timedelta(0)
        if not took:
            return None
        mean = sum(took, timedelta(0)) / len(took)
        return mean * math.ceil(remaining / self.window)

    @property
    def total_credits_reserved(self) -> int:
        return sum(i.price for i in self.items)

    def item(self, item_id: BatchItemId) -> BatchItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFound(f"batch item {item_id} not found")

    def start_item(self, item_id: BatchItemId, video_id: VideoId, now: datetime) -> None:
        item = self.item(item_id)
        if item.status is not ItemStatus.PENDING:
            raise IllegalTransition(f"item {item_id} is {item.status.value}, not PENDING")
        item.status = ItemStatus.RUNNING
        item.video_id = video_id
        self.updated_at = now

    def settle_item(
        self, item_id: BatchItemId, *, succeeded: bool, now: datetime, error: str | None = None
    ) -> ItemSettlement:
        """Settle once; a second settle of a final item changes nothing and says so."""
        item = self.item(item_id)
        if item.status.is_final:
            return ItemSettlement(item_id, 0, 0, already_settled=True)
        item.settled_at = now
        self.updated_at = now
        if succeeded:
            item.status = ItemStatus.SUCCEEDED
            item.credits_used = item.price
            return ItemSettlement(item_id, captured=item.price, released=0)
        item.status = ItemStatus.FAILED
        item.error = error or "failed"
        return ItemSettlement(item_id, captured=0, released=item.price)

    def cancel(self, now: datetime) -> tuple[ItemSettlement, ...]:
        """Cancel every open item; returns what to release (and which videos to cancel)."""
        if self.cancelled_at is not None:
            return ()
        if self.status is not BatchStatus.RUNNING:
            raise IllegalTransition(f"batch {self.id} has already ended ({self.status.value})")
        self.cancelled_at = now
        self.updated_at = now
        settlements = []
        for item in self.items:
            if not item.status.is_final:
                item.status = ItemStatus.CANCELLED
                item.error = "batch cancelled"
                item.settled_at = now
                settlements.append(ItemSettlement(item.id, captured=0, released=item.price))
        return tuple(settlements)

    def progress(self) -> BatchProgress:
        counts = dict.fromkeys(ItemStatus, 0)
        captured = released = 0
        for item in self.items:
            counts[item.status] += 1
            captured += item.credits_used
            if item.status in (ItemStatus.FAILED, ItemStatus.CANCELLED):
                released += item.price
        return BatchProgress(
            total=len(self.items),
            pending=counts[ItemStatus.PENDING],
            running=counts[ItemStatus.RUNNING],
            succeeded=counts[ItemStatus.SUCCEEDED],
            failed=counts[ItemStatus.FAILED],
            cancelled=counts[ItemStatus.CANCELLED],
            credits_reserved=self.total_credits_reserved,
            credits_captured=captured,
            credits_released=released,
        )

    @property
    def status(self) -> BatchStatus:
        if self.cancelled_at is not None:
            return BatchStatus.CANCELLED
        progress = self.progress()
        if progress.processed < progress.total:
            return BatchStatus.RUNNING
        if progress.succeeded == progress.total:
            return BatchStatus.COMPLETED
        if progress.succeeded == 0:
            return BatchStatus.FAILED
        return BatchStatus.PARTIAL


def check_budget(cost: int, budget: int | None) -> None:
    """`BudgetExceeded` when `cost` (captured + held + asked for) is over the budget."""
    if budget is not None and cost > budget:
        raise BudgetExceeded(cost, budget)


def start_allowed(
    user_id: UserId,
    running: Mapping[UserId, int],
    *,
    user_limit: int,
    global_limit: int,
    waiting_users: Sequence[UserId] = (),
) -> bool:
    """May one more of `user_id`'s items start now?

    `running` counts each user's items with a video being made. A user runs at most
    `user_limit` at once, everyone together at most `global_limit`, and, while several users
    have items dispatched, no user takes more than an equal share of the global limit, so one
    user's thousand items never crowd out another user's one.
    """
    mine = running.get(user_id, 0)
    total = sum(running.values())
    active = len({*running, *waiting_users, user_id})
    share = max(1, global_limit // active)
    return mine < user_limit and total < global_limit and mine < share


__all__ = [
    "MAX_ROWS_DEFAULT",
    "WINDOW_DEFAULT",
    "Batch",
    "BatchItem",
    "BatchProgress",
    "BatchRow",
    "BatchStatus",
    "ItemSettlement",
    "ItemStatus",
    "check_budget",
    "start_allowed",
]
