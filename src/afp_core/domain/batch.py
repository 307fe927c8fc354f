"""Batches: many products, one reservation, per-item settlement.

Starting a batch holds the sum of its items' prices at once. Each item then settles exactly
once: success captures its price from the batch hold, failure releases it. Cancelling ends every
item still open and releases what they held. Status and progress derive from the items.

Items run through a window: at most `window` of a batch's items are dispatched (their job
queued) and not yet settled at any time; settling one dispatches the next. Retrying the failed
items puts them back in line on a new hold of their own (`BatchItem.hold_id`), as attempt 2, 3...
A batch may carry a `budget`: what it captures plus what it holds never exceeds it.

`BatchTally` counts the items (per state, in flight, credits, times); status, progress and ETA
are computed from it, here from the items and in `BatchHeader` (the batch without its items,
for the work on one item) from the tally stored on the batch row.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from afp_core.domain.errors import BudgetExceeded, IllegalTransition, NotFound, ValidationFailed
from afp_core.domain.ids import BatchId, BatchItemId, HoldId, UserId, VideoId

MAX_ROWS_DEFAULT = 1000
WINDOW_DEFAULT = 4
MAX_VARIANTS = 5  # videos of one row, each on its own script (a script writer writes <= 5)
VARIANT_OPTION = "variant"  # which of its row's videos an item is (set by StartBatch)


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


def _count_option(raw: str | None) -> int:
    """A whole number >= 1 from an option's text; 1 when it is missing or not one."""
    text = (raw or "").strip()
    return max(int(text), 1) if text.isdecimal() else 1


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
    def variant(self) -> int:
        """Which of its row's videos this is, from 1."""
        return _count_option(self.options.get(VARIANT_OPTION))

    @property
    def variants(self) -> int:
        """How many videos its row makes (1 to MAX_VARIANTS). An item without its variant's
        number is its row's only video, whatever `variants` says (a batch stored before
        variants took effect made one item per row, and its cell may hold anything)."""
        if VARIANT_OPTION not in self.options:
            return 1
        return min(_count_option(self.options.get("variants")), MAX_VARIANTS)

    @property
    def in_flight(self) -> bool:
        return self.dispatched_at is not None and not self.status.is_final

    @property
    def waiting(self) -> bool:
        return self.status is ItemStatus.PENDING and self.dispatched_at is None

    def start(self, video_id: VideoId) -> None:
        """PENDING -> RUNNING with its video; `IllegalTransition` from any other state."""
        if self.status is not ItemStatus.PENDING:
            raise IllegalTransition(f"item {self.id} is {self.status.value}, not PENDING")
        self.status = ItemStatus.RUNNING
        self.video_id = video_id

    def settle(self, *, succeeded: bool, now: datetime, error: str | None = None) -> ItemSettlement:
        """Settle once; a second settle of a final item changes nothing and says so."""
        if self.status.is_final:
            return ItemSettlement(self.id, 0, 0, already_settled=True)
        self.settled_at = now
        if succeeded:
            self.status = ItemStatus.SUCCEEDED
            self.credits_used = self.price
            return ItemSettlement(self.id, captured=self.price, released=0)
        self.status = ItemStatus.FAILED
        self.error = error or "failed"
        return ItemSettlement(self.id, captured=0, released=self.price)


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


_MICROSECOND = timedelta(microseconds=1)


@attrs.define
class BatchTally:
    """Counts and sums over a batch's items: everything its status, progress, ETA and window
    need, without the items. `of(items)` counts them all; `count(item, -1)` before an item
    changes and `count(item)` after keep a stored tally equal to `of(items)` one item at a
    time, so work on one item costs the same in a batch of ten rows or ten thousand."""

    total: int = 0
    pending: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    in_flight_running: int = 0  # dispatched and RUNNING
    in_flight_queued: int = 0  # dispatched and still PENDING (its job queued)
    reserved: int = 0  # the items' prices
    captured: int = 0
    released: int = 0  # prices of FAILED and CANCELLED items
    timed: int = 0  # items ended SUCCEEDED or FAILED with a dispatch and a settlement time
    timed_us: int = 0  # their dispatch-to-settlement times together, in microseconds

    @classmethod
    def of(cls, items: Iterable[BatchItem]) -> BatchTally:
        tally = cls()
        for item in items:
            tally.count(item)
        return tally

    def count(self, item: BatchItem, sign: int = 1) -> None:
        """Add what `item` contributes (`sign=-1`: take it away)."""
        self.total += sign
        self.reserved += sign * item.price
        self.captured += sign * item.credits_used
        status = item.status
        name = status.value.lower()
        setattr(self, name, getattr(self, name) + sign)
        if item.in_flight:
            if status is ItemStatus.RUNNING:
                self.in_flight_running += sign
            else:
                self.in_flight_queued += sign
        if status in (ItemStatus.FAILED, ItemStatus.CANCELLED):
            self.released += sign * item.price
        ended = status in (ItemStatus.SUCCEEDED, ItemStatus.FAILED)
        if ended and item.settled_at is not None and item.dispatched_at is not None:
            self.timed += sign
            self.timed_us += sign * ((item.settled_at - item.dispatched_at) // _MICROSECOND)

    @property
    def in_flight(self) -> int:
        return self.in_flight_running + self.in_flight_queued

    @property
    def processed(self) -> int:
        return self.succeeded + self.failed + self.cancelled

    def progress(self) -> BatchProgress:
        return BatchProgress(
            total=self.total,
            pending=self.pending,
            running=self.running,
            succeeded=self.succeeded,
            failed=self.failed,
            cancelled=self.cancelled,
            credits_reserved=self.reserved,
            credits_captured=self.captured,
            credits_released=self.released,
        )

    def status(self, *, cancelled: bool) -> BatchStatus:
        if cancelled:
            return BatchStatus.CANCELLED
        if self.processed < self.total:
            return BatchStatus.RUNNING
        if self.succeeded == self.total:
            return BatchStatus.COMPLETED
        if self.succeeded == 0:
            return BatchStatus.FAILED
        return BatchStatus.PARTIAL

    def eta(self, *, cancelled: bool, window: int) -> timedelta | None:
        """Time left: the mean time of the items ended so far (dispatch to settlement), once
        per round of `window` items still open; None before any item has ended."""
        remaining = self.total - self.processed
        if cancelled or remaining == 0:
            return timedelta(0)
        if not self.timed:
            return None
        mean = timedelta(microseconds=self.timed_us) / self.timed
        return mean * math.ceil(remaining / window)


class BatchHolds:
    """The holds of a batch, for `Batch` and `BatchHeader` alike: its own, then one per retry."""

    __slots__ = ()
    hold_id: HoldId
    retry_holds: list[HoldId]

    def hold_of(self, item: BatchItem) -> HoldId:
        return item.hold_id or self.hold_id

    @property
    def hold_ids(self) -> tuple[HoldId, ...]:
        """Every hold the batch has used: its own first, then each retry's."""
        return (self.hold_id, *self.retry_holds)


@attrs.define
class Batch(BatchHolds):
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

    def tally(self) -> BatchTally:
        """Its items counted (what the batch row stores beside them)."""
        return BatchTally.of(self.items)

    def eta(self) -> timedelta | None:
        """Time left: the mean time of the items settled so far (dispatch to settlement), once
        per round of `window` items still open; None before any item has settled."""
        return self.tally().eta(cancelled=self.cancelled_at is not None, window=self.window)

    @property
    def total_credits_reserved(self) -> int:
        return sum(i.price for i in self.items)

    def item(self, item_id: BatchItemId) -> BatchItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFound(f"batch item {item_id} not found")

    def start_item(self, item_id: BatchItemId, video_id: VideoId, now: datetime) -> None:
        self.item(item_id).start(video_id)
        self.updated_at = now

    def settle_item(
        self, item_id: BatchItemId, *, succeeded: bool, now: datetime, error: str | None = None
    ) -> ItemSettlement:
        """Settle once; a second settle of a final item changes nothing and says so."""
        settlement = self.item(item_id).settle(succeeded=succeeded, now=now, error=error)
        if not settlement.already_settled:
            self.updated_at = now
        return settlement

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
        return self.tally().progress()

    @property
    def status(self) -> BatchStatus:
        return self.tally().status(cancelled=self.cancelled_at is not None)


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
    "MAX_VARIANTS",
    "VARIANT_OPTION",
    "WINDOW_DEFAULT",
    "Batch",
    "BatchHolds",
    "BatchItem",
    "BatchProgress",
    "BatchRow",
    "BatchStatus",
    "BatchTally",
    "ItemSettlement",
    "ItemStatus",
    "check_budget",
    "start_allowed",
]
