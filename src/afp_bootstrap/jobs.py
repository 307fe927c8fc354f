"""Which use case runs each job, and a `JobRunner` built from a container."""

from __future__ import annotations

from afp_bootstrap.container import Container
from afp_bootstrap.worker import Handler, JobRunner
from afp_core.domain.ids import BatchId, BatchItemId, PostId, VideoId
from afp_core.domain.jobs import JobName, JobPayload
from afp_core.usecases import (
    ExpireHoldsCommand,
    PollVideoCommand,
    ProcessBatchItemCommand,
    RefreshPostStatusCommand,
    SettleVideoCommand,
    SubmitVideoCommand,
)


def _text(payload: JobPayload, key: str) -> str | None:
    value = payload.get(key)
    return None if value is None else str(value)


def job_handlers(c: Container) -> dict[str, Handler]:
    async def submit(p: JobPayload) -> object:
        return await c.submit_video().execute(SubmitVideoCommand(VideoId(str(p["video_id"]))))

    async def poll(p: JobPayload) -> object:
        return await c.poll_video().execute(PollVideoCommand(VideoId(str(p["video_id"]))))

    async def settle(p: JobPayload) -> object:
        return await c.settle_video().execute(
            SettleVideoCommand(
                VideoId(str(p["video_id"])),
                str(p["outcome"]),
                result_key=_text(p, "result_key"),
                result_url=_text(p, "result_url"),
                reason=_text(p, "reason"),
            )
        )

    async def process_item(p: JobPayload) -> object:
        return await c.process_batch_item().execute(
            ProcessBatchItemCommand(BatchId(str(p["batch_id"])), BatchItemId(str(p["item_id"])))
        )

    async def refresh_post(p: JobPayload) -> object:
        return await c.refresh_post_status().execute(
            RefreshPostStatusCommand(PostId(str(p["post_id"])))
        )

    async def expire(_: JobPayload) -> object:
        return await c.expire_holds().execute(ExpireHoldsCommand())

    return {
        JobName.SUBMIT_VIDEO: submit,
        JobName.POLL_VIDEO: poll,
        JobName.SETTLE_VIDEO: settle,
        JobName.PROCESS_BATCH_ITEM: process_item,
        JobName.REFRESH_POST: refresh_post,
        JobName.EXPIRE_HOLDS: expire,
    }


def job_runner(c: Container) -> JobRunner:
    return JobRunner(c.job_queue(), job_handlers(c), c.clock())


__all__ = ["job_handlers", "job_runner"]
