"""GetBatchResults: one row per item of a user's batch, with its video's stored result."""

from __future__ import annotations

import attrs

from afp_core.domain.batch import BatchItem, ItemStatus
from afp_core.domain.ids import BatchId, UserId
from afp_core.domain.video import VideoStatus
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class GetBatchResultsQuery:
    user_id: UserId
    batch_id: BatchId


@attrs.frozen
class BatchResultRow:
    item: BatchItem
    video_url: str | None = None  # a completed item's video
    result_key: str | None = None  # where `MediaStorage` keeps it


@attrs.frozen
class GetBatchResultsResult:
    batch_id: BatchId
    rows: tuple[BatchResultRow, ...]  # in row order

    @property
    def completed(self) -> tuple[BatchResultRow, ...]:
        return tuple(r for r in self.rows if r.result_key is not None)


class GetBatchResults:
    """Read-only; another user's batch is `NotFound`. Only a SUCCEEDED item whose video
    COMPLETED has a video URL and a result key."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: GetBatchResultsQuery) -> GetBatchResultsResult:
        rows: list[BatchResultRow] = []
        async with self._uow(read_only=True) as uow:
            batch = await uow.batches.get(query.user_id, query.batch_id)
            for item in sorted(batch.items, key=lambda i: (i.row_index, i.id)):
                if item.status is not ItemStatus.SUCCEEDED or item.video_id is None:
                    rows.append(BatchResultRow(item))
                    continue
                video = await uow.videos.get(batch.user_id, item.video_id)
                if video.status is not VideoStatus.COMPLETED:
                    rows.append(BatchResultRow(item))
                    continue
                rows.append(BatchResultRow(item, video.result_url, video.result_key))
        return GetBatchResultsResult(batch.id, tuple(rows))


__all__ = [
    "BatchResultRow",
    "GetBatchResults",
    "GetBatchResultsQuery",
    "GetBatchResultsResult",
]
