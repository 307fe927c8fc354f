"""SubmitVideo: hand a queued video to the render provider (the `submit_video` job)."""

from __future__ import annotations

from datetime import datetime

import attrs

from afp_core.domain.errors import (
    ProviderOutcomeUnknown,
    ProviderOutOfCredits,
    ProviderRejected,
    ProviderUnavailable,
)
from afp_core.domain.events import ProviderOutOfCreditsDetected
from afp_core.domain.ids import VideoId
from afp_core.domain.jobs import Job, JobName
from afp_core.domain.policy import VideoTiming
from afp_core.domain.video import Video, VideoStatus
from afp_core.ports.generation import VideoGenerator, VideoRequest
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._recovery import defer_failure, unconfirmed_submit


@attrs.frozen
class SubmitVideoCommand:
    video_id: VideoId


@attrs.frozen
class SubmitVideoResult:
    video_id: VideoId
    status: VideoStatus
    outcome: str  # submitted | skipped | retry_scheduled | paused | failed | settle_scheduled


class SubmitVideo:
    """Create the provider task for a QUEUED video.

    The provider call happens outside any unit of work; the task id is stored at once
    (the recovery point). Retryable errors back off and try again up to
    `timing.max_submit_attempts`; a rejection fails the video (via `settle_video`, which
    releases its credits); an empty provider account pauses the video and alerts. A call that
    may have created a task anyway (`ProviderOutcomeUnknown`) is never repeated: the video
    fails and is released, so the user is never charged and no render is paid for twice.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        generator: VideoGenerator,
        clock: Clock,
        timing: VideoTiming | None = None,
        callback_url: str | None = None,
    ) -> None:
        self._uow = uow
        self._generator = generator
        self._clock = clock
        self._timing = timing or VideoTiming()
        self._callback_url = callback_url

    async def execute(self, command: SubmitVideoCommand) -> SubmitVideoResult:
        now = self._clock.now()
        async with self._uow() as uow:
            video = await uow.videos.get_any(command.video_id)
            startable = (
                video.status is VideoStatus.QUEUED
                and video.submit_started_at is None
                and now < video.deadline
            )
            if startable:  # the recovery point, committed before the provider is called
                video.begin_submit(now)
                await uow.videos.save(video)
                await uow.commit()
        if video.status is not VideoStatus.QUEUED:
            return SubmitVideoResult(video.id, video.status, "skipped")
        if not startable:
            if video.submit_started_at is not None:
                return await self._in_doubt(video, now)
            return await self._give_up(video, "the provider could not take the video in time")
        try:
            task_id = await self._generator.submit(
                VideoRequest(video.id, video.spec, self._callback_url)
            )
        except ProviderRejected as error:
            return await self._give_up(video, f"rejected by the provider: {error.message}")
        except ProviderOutOfCredits as error:
            return await self._pause(video, error.message)
        except ProviderOutcomeUnknown as error:
            return await self._give_up(video, unconfirmed_submit(error.message))
        except ProviderUnavailable as error:
            return await self._retry(video, error.message)
        now = self._clock.now()
        async with self._uow() as uow:
            video = await uow.videos.get_any(command.video_id)
            if video.status is not VideoStatus.QUEUED:  # cancelled meanwhile: never charge
                return SubmitVideoResult(video.id, video.status, "skipped")
            video.mark_submitted(task_id, now)
            await uow.videos.save(video)
            await uow.jobs.defer(
                Job(
                    JobName.POLL_VIDEO,
                    {"video_id": video.id},
                    run_at=now + self._timing.poll_delay(0),
                )
            )
            await uow.commit()
        return SubmitVideoResult(video.id, VideoStatus.SUBMITTED, "submitted")

    async def _in_doubt(self, video: Video, now: datetime) -> SubmitVideoResult:
        """A create call started and nobody saw how it ended (a worker died mid-call, or this
        job runs twice). While it may still be running, look again later; after that, the
        provider may have created (and billed) a task we cannot find: never call it again."""
        assert video.submit_started_at is not None  # noqa: S101 - the caller checked
        settled_by = video.submit_started_at + self._timing.submit_in_doubt_after
        if now < settled_by:
            async with self._uow() as uow:
                await uow.jobs.defer(
                    Job(JobName.SUBMIT_VIDEO, {"video_id": video.id}, run_at=settled_by)
                )
                await uow.commit()
            return SubmitVideoResult(video.id, video.status, "retry_scheduled")
        return await self._give_up(
            video, unconfirmed_submit("the worker stopped during the provider call")
        )

    async def _retry(self, video: Video, message: str) -> SubmitVideoResult:
        now = self._clock.now()
        async with self._uow() as uow:
            video = await uow.videos.get_any(video.id)
            if video.status is not VideoStatus.QUEUED:
                return SubmitVideoResult(video.id, video.status, "skipped")
            video.submit_not_made(now)
            await uow.videos.save(video)
            exhausted = video.attempts >= self._timing.max_submit_attempts
            if not exhausted:
                await uow.jobs.defer(
                    Job(
                        JobName.SUBMIT_VIDEO,
                        {"video_id": video.id},
                        run_at=now + self._timing.submit_delay(video.attempts),
                    )
                )
            await uow.commit()
        if exhausted:
            return await self._give_up(
                video, f"the provider stayed unavailable after {video.attempts} tries: {message}"
            )
        return SubmitVideoResult(video.id, video.status, "retry_scheduled")

    async def _pause(self, video: Video, message: str) -> SubmitVideoResult:
        now = self._clock.now()
        async with self._uow() as uow:
            video = await uow.videos.get_any(video.id)
            if video.status is not VideoStatus.QUEUED:
                return SubmitVideoResult(video.id, video.status, "skipped")
            video.submit_not_made(now)
            await uow.videos.save(video)
            await uow.jobs.defer(
                Job(
                    JobName.SUBMIT_VIDEO,
                    {"video_id": video.id},
                    run_at=now + self._timing.out_of_credits_pause,
                )
            )
            uow.events.record(ProviderOutOfCreditsDetected(now, "video", message))
            await uow.commit()
        return SubmitVideoResult(video.id, video.status, "paused")

    async def _give_up(self, video: Video, reason: str) -> SubmitVideoResult:
        async with self._uow() as uow:
            await defer_failure(uow, video.id, reason, self._clock.now())
            await uow.commit()
        return SubmitVideoResult(video.id, video.status, "settle_scheduled")
