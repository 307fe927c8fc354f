"""SettleVideo: end a video exactly once and move its credits (the `settle_video` job)."""

from __future__ import annotations

import attrs

from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import VideoId
from afp_core.domain.video import VideoStatus
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._settlement import charge_completed, hold_is_usable, release_unfinished


@attrs.frozen
class SettleVideoCommand:
    video_id: VideoId
    outcome: str  # "completed" or "failed"
    result_key: str | None = None
    result_url: str | None = None
    reason: str | None = None


@attrs.frozen
class SettleVideoResult:
    video_id: VideoId
    status: VideoStatus
    charged: int
    released: bool
    already_settled: bool = False


class SettleVideo:
    """Completed: capture the price and mark COMPLETED. Failed: release and mark FAILED.

    A video whose credit reservation expired before it finished is never charged: it ends
    FAILED with that reason (the hold's remainder went back on expiry).
    In one unit of work with the video's state change, so a crash can never leave one without
    the other. A video that has already ended is left as it is and reported as
    `already_settled` (a second failure report, or a success after a failure, changes nothing).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: SettleVideoCommand) -> SettleVideoResult:
        if command.outcome not in ("completed", "failed"):
            raise ValidationFailed(f"unknown outcome {command.outcome!r}")
        if command.outcome == "completed" and not (command.result_key and command.result_url):
            raise ValidationFailed("a completed video needs its stored result")
        now = self._clock.now()
        async with self._uow() as uow:
            video = await uow.videos.get_any(command.video_id)
            if video.is_terminal:
                charged = video.price if video.status is VideoStatus.COMPLETED else 0
                return SettleVideoResult(
                    video.id, video.status, charged, released=not charged, already_settled=True
                )
            chargeable = await hold_is_usable(uow, video.user_id, video.hold_id, now)
            if command.outcome == "completed" and chargeable:
                if video.status is not VideoStatus.STORING:
                    video.mark_storing(now)
                video.mark_completed(str(command.result_key), str(command.result_url), now)
                await charge_completed(uow, video, now)
            else:
                reason = command.reason or "failed"
                if command.outcome == "completed":  # rendered, but its reservation is gone
                    reason = "finished after its credit reservation expired; not charged"
                video.mark_failed(reason, now)
                await release_unfinished(uow, video, now)
            await uow.videos.save(video)
            await uow.commit()
        charged = video.price if video.status is VideoStatus.COMPLETED else 0
        return SettleVideoResult(video.id, video.status, charged, released=not charged)
