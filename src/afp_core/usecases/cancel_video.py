"""CancelVideo: the owner stops a video that has not ended; its credits are released."""

from __future__ import annotations

import attrs

from afp_core.domain.ids import UserId, VideoId
from afp_core.domain.video import VideoStatus
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._settlement import release_unfinished


@attrs.frozen
class CancelVideoCommand:
    user_id: UserId
    video_id: VideoId


@attrs.frozen
class CancelVideoResult:
    video_id: VideoId
    status: VideoStatus
    released: int


class CancelVideo:
    """Cancel and release in one unit of work. An ended video is `IllegalTransition`; another
    user's video is `NotFound`. A render already running at the provider may still finish; its
    result is then ignored and never charged."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: CancelVideoCommand) -> CancelVideoResult:
        now = self._clock.now()
        async with self._uow() as uow:
            video = await uow.videos.get(command.user_id, command.video_id)
            video.mark_cancelled(now)
            await release_unfinished(uow, video, now)
            await uow.videos.save(video)
            await uow.commit()
        return CancelVideoResult(video.id, video.status, video.price)
