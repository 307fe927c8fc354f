"""Batches: many products, one reservation, per-item settlement.

Starting a batch holds the sum of its items' prices at once. Each item then settles exactly
once: success captures its price from the batch hold, failure releases it. Cancelling ends every
item still open and releases what they held. Status and progress derive from the items.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from afp_core.domain.errors import IllegalTransition, NotFound, ValidationFailed
from afp_core.domain.ids import BatchId, BatchItemId, HoldId, UserId, VideoId

MAX_ROWS_DEFAULT = 1000


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

    def __attrs_post_init__(self) -> None:
        if not self.items:
            raise ValidationFailed("a batch needs at least one item")

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


__all__ = [
    "MAX_ROWS_DEFAULT",
    "Batch",
    "BatchItem",
    "BatchProgress",
    "BatchRow",
    "BatchStatus",
    "ItemSettlement",
    "ItemStatus",
]
