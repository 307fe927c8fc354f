"""HandleVideoCallback: a provider says a task changed. A hint, never the truth."""

from __future__ import annotations

import attrs

from afp_core.domain.ids import VideoId
from afp_core.domain.jobs import Job, JobName
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class HandleVideoCallbackCommand:
    task_id: str


@attrs.frozen
class HandleVideoCallbackResult:
    video_id: VideoId | None
    scheduled: bool


class HandleVideoCallback:
    """Schedule an immediate poll of the task's video; the poll asks the provider, so a forged
    or stale callback can change nothing. Unknown task ids are ignored (and reported)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: HandleVideoCallbackCommand) -> HandleVideoCallbackResult:
        now = self._clock.now()
        async with self._uow() as uow:
            video = await uow.videos.by_task_id(command.task_id)
            if video is None or video.is_terminal:
                return HandleVideoCallbackResult(video.id if video else None, scheduled=False)
            await uow.jobs.defer(
                Job(
                    JobName.POLL_VIDEO,
                    {"video_id": video.id},
                    run_at=now,
                    dedupe_key=f"poll-now:{video.id}",
                )
            )
            await uow.commit()
        return HandleVideoCallbackResult(video.id, scheduled=True)
