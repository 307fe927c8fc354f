"""GetBatchStatus: progress of one of the user's batches, derived from its items."""

from __future__ import annotations

import attrs

from afp_core.domain.batch import BatchItem, BatchProgress, BatchStatus
from afp_core.domain.ids import BatchId, UserId
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class GetBatchStatusQuery:
    user_id: UserId
    batch_id: BatchId


@attrs.frozen
class GetBatchStatusResult:
    batch_id: BatchId
    status: BatchStatus
    progress: BatchProgress
    items: tuple[BatchItem, ...]


class GetBatchStatus:
    """Read-only; another user's batch is `NotFound`."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: GetBatchStatusQuery) -> GetBatchStatusResult:
        async with self._uow(read_only=True) as uow:
            batch = await uow.batches.get(query.user_id, query.batch_id)
        return GetBatchStatusResult(batch.id, batch.status, batch.progress(), tuple(batch.items))
