"""CancelBatch: stop a batch; everything still open is released."""

from __future__ import annotations

import attrs

from afp_core.domain.batch import BatchStatus
from afp_core.domain.events import BatchCancelled
from afp_core.domain.ids import BatchId, UserId
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._settlement import release_item


@attrs.frozen
class CancelBatchCommand:
    user_id: UserId
    batch_id: BatchId


@attrs.frozen
class CancelBatchResult:
    batch_id: BatchId
    status: BatchStatus
    items_cancelled: int
    credits_released: int


class CancelBatch:
    """In one unit of work: every item not yet final becomes CANCELLED, the videos of running
    items are cancelled, and exactly the open remainder of the batch hold is released.
    Cancelling again is a no-op; cancelling a batch that ended is `IllegalTransition`."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: CancelBatchCommand) -> CancelBatchResult:
        now = self._clock.now()
        async with self._uow() as uow:
            batch = await uow.batches.get(command.user_id, command.batch_id)
            running_videos = [
                i.video_id for i in batch.items if i.video_id is not None and not i.status.is_final
            ]
            settlements = batch.cancel(now)
            released = 0
            for settlement in settlements:
                await release_item(uow, batch, settlement.item_id, settlement.released, now)
                released += settlement.released
            for video_id in running_videos:
                video = await uow.videos.get(batch.user_id, video_id)
                if not video.is_terminal:
                    video.mark_cancelled(now, "batch cancelled")
                    await uow.videos.save(video)
            await uow.batches.save(batch)
            if settlements:
                uow.events.record(BatchCancelled(now, batch.id, batch.user_id, released))
            await uow.commit()
        return CancelBatchResult(batch.id, batch.status, len(settlements), released)
