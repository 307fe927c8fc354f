"""`ProcrastinateJobQueue`: the `JobQueue` port over procrastinate's tables.

procrastinate's own worker (`ProcrastinateWorker`) claims, runs, retries and finishes jobs;
this serves the rest of the application, above all the sweeper's `requeue_stale`: the jobs
of workers whose heartbeat stopped go back to the queue. The claiming methods work too (a
`JobRunner` can drive them: its claims register one procrastinate worker, whose heartbeat
each claim renews). Every method needs the app open (`afp worker` opens it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import structlog
from procrastinate import App, exceptions
from procrastinate.jobs import Status

from afp_core.domain.jobs import Job

log = structlog.get_logger("afp.worker")

_NEXT_RUN_AT = (
    "SELECT min(COALESCE(scheduled_at, now())) AS next_at "
    "FROM procrastinate_jobs WHERE status = 'todo'"
)


class ProcrastinateJobQueue:
    """Implements `JobQueue`. A worker is stalled when its heartbeat is older than
    `stalled_after_s` (procrastinate's workers beat every 10 s by default)."""

    def __init__(self, app: App, *, stalled_after_s: float = 30.0) -> None:
        self._app = app
        self._stalled_after_s = stalled_after_s
        self._worker_id: int | None = None

    async def due(self, now: datetime, *, limit: int = 10) -> Sequence[tuple[str, Job]]:
        manager = self._app.job_manager
        if self._worker_id is None:
            self._worker_id = await manager.register_worker()
        else:
            await manager.update_heartbeat(self._worker_id)
        claimed: list[tuple[str, Job]] = []
        while len(claimed) < limit:
            job = await manager.fetch_job(queues=None, worker_id=self._worker_id)
            if job is None:
                break
            run_at = job.scheduled_at or now
            payload = {k: v for k, v in job.task_kwargs.items() if isinstance(v, str | int)}
            claimed.append(
                (
                    str(job.id),
                    Job(job.task_name, payload, run_at, job.queueing_lock, job.attempts),
                )
            )
        return claimed

    async def complete(self, job_id: str) -> None:
        await self._app.job_manager.finish_job_by_id_async(
            int(job_id), Status.SUCCEEDED, delete_job=False
        )

    async def retry(self, job_id: str, *, run_at: datetime, error: str) -> None:
        log.info("job.retry_later", job_id=job_id, error=error)
        await self._app.job_manager.retry_job_by_id_async(int(job_id), retry_at=run_at)

    async def fail(self, job_id: str, *, error: str) -> None:
        log.warning("job.failed", job_id=job_id, error=error)
        await self._app.job_manager.finish_job_by_id_async(
            int(job_id), Status.FAILED, delete_job=False
        )

    async def next_run_at(self) -> datetime | None:
        row = await self._app.connector.execute_query_one_async(_NEXT_RUN_AT)
        value = row["next_at"]
        return None if value is None else value.astimezone(UTC)

    async def requeue_stale(self, older_than: datetime) -> int:  # noqa: ARG002 - see below
        """The jobs of stalled workers (procrastinate's heartbeats decide, not `older_than`)
        go back to `todo`, due at once; one whose queueing lock a waiting job already holds
        is failed instead (that one does its work)."""
        manager = self._app.job_manager
        stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=self._stalled_after_s)
        requeued = 0
        for job in stalled:
            try:
                await manager.retry_job(job)
            except exceptions.UniqueViolation:
                assert job.id is not None  # noqa: S101 - jobs read from the table have ids
                await manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
                log.warning("job.superseded", job=job.task_name, job_id=job.id)
                continue
            log.warning("job.requeued", job=job.task_name, job_id=job.id, reason="stalled")
            requeued += 1
        await manager.prune_stalled_workers(self._stalled_after_s)
        return requeued


__all__ = ["ProcrastinateJobQueue"]
