"""Which use case runs each job, and a `JobRunner` built from a container."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from afp_bootstrap.container import Container
from afp_bootstrap.errors import ConfigurationError
from afp_bootstrap.worker import Handler, JobRunner
from afp_core.domain.ids import BatchId, BatchItemId, PostId, VideoId
from afp_core.domain.jobs import Job, JobName, JobPayload
from afp_core.usecases import (
    ExpireHoldsCommand,
    PollVideoCommand,
    ProcessBatchItemCommand,
    RefreshConnectionsCommand,
    RefreshPostStatusCommand,
    SettleVideoCommand,
    StartPublishingCommand,
    SubmitVideoCommand,
    SweepStuckWorkCommand,
)

if TYPE_CHECKING:
    from afp_adapters.procrastinate import ProcrastinateWorker

SWEEP_KEY = "sweep"  # at most one sweeper job waits, however many workers seed it
TOKEN_REFRESH_KEY = "refresh_connections"  # noqa: S105 - a job's dedupe key, not a secret
log = structlog.get_logger("afp.worker")


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
            ProcessBatchItemCommand(
                BatchId(str(p["batch_id"])),
                BatchItemId(str(p["item_id"])),
                attempt=int(p.get("attempt") or 1),
            )
        )

    async def publish_post(p: JobPayload) -> object:
        return await c.start_publishing().execute(StartPublishingCommand(PostId(str(p["post_id"]))))

    async def refresh_connections(_: JobPayload) -> object:
        """Recurring, like the sweep: the next run is deferred whatever happens."""
        try:
            return await c.refresh_connections().execute(RefreshConnectionsCommand())
        except Exception:
            log.exception("refresh_connections.crashed")
            return None
        finally:
            every = c.social_timing().connections_refresh_every
            await schedule_token_refresh(c, at=c.clock().now() + every)

    async def refresh_post(p: JobPayload) -> object:
        return await c.refresh_post_status().execute(
            RefreshPostStatusCommand(PostId(str(p["post_id"])))
        )

    async def expire(_: JobPayload) -> object:
        return await c.expire_holds().execute(ExpireHoldsCommand())

    async def sweep(_: JobPayload) -> object:
        """Recurring: whatever happens, the next sweep is deferred `sweep_every` later; a
        sweep that crashed is logged, not retried (the next one does its work)."""
        try:
            return await c.sweep_stuck_work().execute(SweepStuckWorkCommand())
        except Exception:
            log.exception("sweep.crashed")
            return None
        finally:
            await schedule_sweep(c, at=c.clock().now() + c.video_timing().sweep_every)

    return {
        JobName.SUBMIT_VIDEO: submit,
        JobName.POLL_VIDEO: poll,
        JobName.SETTLE_VIDEO: settle,
        JobName.PROCESS_BATCH_ITEM: process_item,
        JobName.PUBLISH_POST: publish_post,
        JobName.REFRESH_POST: refresh_post,
        JobName.REFRESH_CONNECTIONS: refresh_connections,
        JobName.EXPIRE_HOLDS: expire,
        JobName.SWEEP: sweep,
    }


async def schedule_sweep(c: Container, *, at: datetime | None = None) -> None:
    """Defer the sweeper job (`afp worker` seeds it at start; each sweep defers the next).
    Its dedupe key keeps one waiting, so every worker may seed it."""
    async with c.uow()() as uow:
        await uow.jobs.defer(
            Job(JobName.SWEEP, {}, run_at=at or c.clock().now(), dedupe_key=SWEEP_KEY)
        )
        await uow.commit()


async def schedule_token_refresh(c: Container, *, at: datetime | None = None) -> None:
    """Defer the recurring `refresh_connections` job (seeded with the sweep at a worker's
    start; each run defers the next). Its dedupe key keeps one waiting."""
    async with c.uow()() as uow:
        await uow.jobs.defer(
            Job(
                JobName.REFRESH_CONNECTIONS,
                {},
                run_at=at or c.clock().now(),
                dedupe_key=TOKEN_REFRESH_KEY,
            )
        )
        await uow.commit()


def job_runner(c: Container) -> JobRunner:
    return JobRunner(c.job_queue(), job_handlers(c), c.clock())


def procrastinate_worker(c: Container) -> ProcrastinateWorker:
    """procrastinate's worker over the same handlers (`AFP_JOB_QUEUE=procrastinate`)."""
    from afp_adapters.procrastinate import ProcrastinateWorker  # noqa: PLC0415 - optional

    app = c.procrastinate()
    if app is None:
        raise ConfigurationError("procrastinate's worker needs AFP_JOB_QUEUE=procrastinate")
    return ProcrastinateWorker(app, job_handlers(c))


__all__ = [
    "SWEEP_KEY",
    "TOKEN_REFRESH_KEY",
    "job_handlers",
    "job_runner",
    "procrastinate_worker",
    "schedule_sweep",
    "schedule_token_refresh",
]
