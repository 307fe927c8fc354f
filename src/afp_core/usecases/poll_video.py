"""PollVideo: ask the provider how a render is going (the `poll_video` job)."""

from __future__ import annotations

import attrs

from afp_core.domain.errors import DomainError, InvalidMedia, ProviderUnavailable
from afp_core.domain.ids import VideoId
from afp_core.domain.jobs import Job, JobName
from afp_core.domain.media import check_mp4
from afp_core.domain.policy import VideoTiming
from afp_core.domain.video import Video, VideoStatus
from afp_core.ports.generation import MediaStorage, TaskState, VideoGenerator
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory

_CHASED = (VideoStatus.SUBMITTED, VideoStatus.RENDERING)


@attrs.frozen
class PollVideoCommand:
    video_id: VideoId


@attrs.frozen
class PollVideoResult:
    video_id: VideoId
    status: VideoStatus
    outcome: str  # skipped | waiting | settle_scheduled


class PollVideo:
    """Observe a submitted video and hand the outcome to `settle_video`.

    Still rendering: poll again on the backoff schedule. Succeeded: download the result at
    once (provider URLs expire), check it is an MP4 of a sane size (anything else fails the
    video, never charged), store it, then schedule settlement. Failed, or past the
    deadline: schedule settlement as failed. Polling a video that has ended does nothing, so
    late or repeated reports can never charge twice or charge a failed video.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        generator: VideoGenerator,
        storage: MediaStorage,
        clock: Clock,
        timing: VideoTiming | None = None,
    ) -> None:
        self._uow = uow
        self._generator = generator
        self._storage = storage
        self._clock = clock
        self._timing = timing or VideoTiming()

    async def execute(self, command: PollVideoCommand) -> PollVideoResult:
        async with self._uow() as uow:
            video = await uow.videos.get_any(command.video_id)
        if video.status not in _CHASED or video.provider_task_id is None:
            return PollVideoResult(video.id, video.status, "skipped")
        if self._clock.now() >= video.deadline:
            return await self._settle(video, "failed", reason="the render did not finish in time")
        try:
            status = await self._generator.status(video.provider_task_id)
        except DomainError:
            # any refusal to answer (down, our key refused, a bad gateway...) is not the task's
            # outcome: look again later; the deadline bounds how long
            return await self._again(video, progressed=False)
        if status.state in (TaskState.PENDING, TaskState.RUNNING):
            return await self._again(video, progressed=status.state is TaskState.RUNNING)
        if status.state is TaskState.FAILED or not status.result_url:
            reason = status.message or "the provider reported a failure without a reason"
            return await self._settle(video, "failed", reason=f"render failed: {reason}")
        try:
            data = await self._generator.download(status.result_url)
            check_mp4(data, max_bytes=self._timing.max_result_bytes)
            stored = await self._storage.put(
                f"videos/{video.user_id}/{video.id}.mp4", data, "video/mp4"
            )
        except InvalidMedia as error:
            reason = f"the provider returned something that is not an MP4 video: {error.message}"
            return await self._settle(video, "failed", reason=reason)
        except DomainError as error:
            if isinstance(error, ProviderUnavailable):
                return await self._again(video, progressed=True)
            return await self._settle(video, "failed", reason=f"download failed: {error.message}")
        return await self._settle(video, "completed", result_key=stored.key, result_url=stored.url)

    async def _again(self, video: Video, *, progressed: bool) -> PollVideoResult:
        now = self._clock.now()
        async with self._uow() as uow:
            video = await uow.videos.get_any(video.id)
            if video.status not in _CHASED:
                return PollVideoResult(video.id, video.status, "skipped")
            if progressed:
                video.mark_rendering(now)
            video.polls += 1
            await uow.videos.save(video)
            await uow.jobs.defer(
                Job(
                    JobName.POLL_VIDEO,
                    {"video_id": video.id},
                    run_at=now + self._timing.poll_delay(video.polls),
                    dedupe_key=f"poll:{video.id}",
                )
            )
            await uow.commit()
        return PollVideoResult(video.id, video.status, "waiting")

    async def _settle(self, video: Video, outcome: str, **details: str) -> PollVideoResult:
        now = self._clock.now()
        async with self._uow() as uow:
            video = await uow.videos.get_any(video.id)
            if video.is_terminal:
                return PollVideoResult(video.id, video.status, "skipped")
            if outcome == "completed" and video.status is not VideoStatus.STORING:
                video.mark_storing(now)
                await uow.videos.save(video)
            await uow.jobs.defer(
                Job(
                    JobName.SETTLE_VIDEO,
                    {"video_id": video.id, "outcome": outcome, **details},
                    run_at=now,
                    dedupe_key=f"settle:{video.id}",
                )
            )
            await uow.commit()
        return PollVideoResult(video.id, video.status, "settle_scheduled")
