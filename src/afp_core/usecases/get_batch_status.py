"""GetBatchStatus: progress of one of the user's batches, derived from its items and holds."""

from __future__ import annotations

from datetime import timedelta

import attrs

from afp_core.domain.batch import BatchItem, BatchProgress, BatchStatus
from afp_core.domain.batch_header import BatchHeader
from afp_core.domain.ids import BatchId, UserId
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._batch_credits import BatchCredits, batch_credits


@attrs.frozen
class GetBatchStatusQuery:
    user_id: UserId
    batch_id: BatchId
    with_items: bool = True  # False: counts, credits and ETA only (no item is read)


@attrs.frozen
class GetBatchStatusResult:
    batch_id: BatchId
    status: BatchStatus
    progress: BatchProgress
    items: tuple[BatchItem, ...]  # empty when the query asked for no items
    credits: BatchCredits | None = None
    eta: timedelta | None = None  # None until an item has settled
    budget: int | None = None


class GetBatchStatus:
    """Read-only; another user's batch is `NotFound`. Credits come from the ledger (every
    hold of the batch), counts per state and the time left from the batch's tally of its
    items; `with_items=False` (a progress poll) reads no item, whatever the batch's size."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: GetBatchStatusQuery) -> GetBatchStatusResult:
        async with self._uow(read_only=True) as uow:
            if query.with_items:
                batch = await uow.batches.get(query.user_id, query.batch_id)
                header, items = BatchHeader.of(batch), tuple(batch.items)
            else:
                header = await uow.batches.get_header(query.batch_id, owner=query.user_id)
                items = ()
            credits = await batch_credits(uow, header)
        return GetBatchStatusResult(
            header.id,
            header.status,
            header.progress(),
            items,
            credits=credits,
            eta=header.eta(),
            budget=header.budget,
        )
