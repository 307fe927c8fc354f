"""A batch without its items: what the work on one item reads and changes.

`Batch` is the whole aggregate (every item), for what concerns all of them at once: start,
cancel, retry, results. Running one item needs only the batch's own fields, that item and
the batch's `BatchTally`; `BatchHeader` is that view. Its methods change one item and move the
item's contribution in the tally with it (`count(item, -1)` before, `count(item)` after), so
the tally stays equal to `BatchTally.of(items)` and the work costs the same whatever the size
of the batch. The unit of work loads the header locked, then the item, and saves both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from afp_core.domain.batch import (
    WINDOW_DEFAULT,
    Batch,
    BatchHolds,
    BatchItem,
    BatchProgress,
    BatchStatus,
    BatchTally,
    ItemSettlement,
)
from afp_core.domain.ids import BatchId, HoldId, UserId, VideoId


@attrs.define
class BatchHeader(BatchHolds):
    id: BatchId
    user_id: UserId
    hold_id: HoldId
    created_at: datetime
    updated_at: datetime
    tally: BatchTally
    cancelled_at: datetime | None = None
    metadata: Mapping[str, str] = attrs.field(factory=dict)
    budget: int | None = None
    window: int = WINDOW_DEFAULT
    retry_holds: list[HoldId] = attrs.field(factory=list)

    @classmethod
    def of(cls, batch: Batch) -> BatchHeader:
        """The header of a whole batch, its items counted."""
        return cls(
            id=batch.id,
            user_id=batch.user_id,
            hold_id=batch.hold_id,
            created_at=batch.created_at,
            updated_at=batch.updated_at,
            tally=batch.tally(),
            cancelled_at=batch.cancelled_at,
            metadata=batch.metadata,
            budget=batch.budget,
            window=batch.window,
            retry_holds=list(batch.retry_holds),
        )

    @property
    def room(self) -> int:
        """How many more items may be dispatched now (none once cancelled)."""
        if self.cancelled_at is not None:
            return 0
        return max(self.window - self.tally.in_flight, 0)

    def dispatch(self, waiting: Sequence[BatchItem], now: datetime) -> list[BatchItem]:
        """Fill the window from `waiting` (the batch's next waiting items, in row order, as
        `BatchRepository.next_to_dispatch` lists them): the ones to queue now."""
        chosen = [i for i in waiting if i.waiting][: self.room]
        for item in chosen:
            self.tally.count(item, -1)
            item.dispatched_at = now
            self.tally.count(item)
        if chosen:
            self.updated_at = now
        return chosen

    def start_item(self, item: BatchItem, video_id: VideoId, now: datetime) -> None:
        """`IllegalTransition` unless the item is PENDING."""
        self.tally.count(item, -1)
        try:
            item.start(video_id)
        finally:
            self.tally.count(item)
        self.updated_at = now

    def settle_item(
        self, item: BatchItem, *, succeeded: bool, now: datetime, error: str | None = None
    ) -> ItemSettlement:
        """Settle once; a second settle of a final item changes nothing and says so."""
        self.tally.count(item, -1)
        settlement = item.settle(succeeded=succeeded, now=now, error=error)
        self.tally.count(item)
        if not settlement.already_settled:
            self.updated_at = now
        return settlement

    def progress(self) -> BatchProgress:
        return self.tally.progress()

    @property
    def status(self) -> BatchStatus:
        return self.tally.status(cancelled=self.cancelled_at is not None)

    def eta(self) -> timedelta | None:
        return self.tally.eta(cancelled=self.cancelled_at is not None, window=self.window)


__all__ = ["BatchHeader"]
