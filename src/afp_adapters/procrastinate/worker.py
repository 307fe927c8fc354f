"""`ProcrastinateWorker`: AFP's jobs run by procrastinate's worker on PostgreSQL.

One procrastinate task per job name, each calling its handler with the job's payload. The
retry policy is `JobRunner`'s: `ProviderUnavailable` or an unexpected exception is retried
with exponential backoff (`base_backoff * 2**attempt`) up to `max_attempts` runs; any other
`DomainError` fails the job at once (retrying bad input cannot help). A job about to be
retried while a waiting job already holds its queueing lock (dedupe key) fails instead: that
one does its work (procrastinate would refuse the retry).

Any number of these may run, in any number of processes on any machines: procrastinate
claims with `FOR UPDATE SKIP LOCKED`, so each job runs once; each worker's heartbeat lets the
sweeper (`ProcrastinateJobQueue.requeue_stale`) put back the jobs of a worker that died.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

import attrs
import structlog
from procrastinate import App, BaseRetryStrategy, JobContext, RetryDecision
from procrastinate.jobs import Job as ProcrastinateJob
from procrastinate.worker import Worker

from afp_core.domain.errors import DomainError, ProviderUnavailable

Handler = Callable[[Mapping[str, Any]], Awaitable[object]]
log = structlog.get_logger("afp.worker")

_LOCK_TAKEN = (
    "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs "
    "WHERE queueing_lock = %(lock)s AND status = 'todo') AS taken"
)


class JobFailed(Exception):
    """A job that must not be retried (a domain error, or superseded)."""


@attrs.frozen
class ExponentialBackoff(BaseRetryStrategy):
    max_attempts: int
    base_backoff: timedelta

    def delay(self, attempts: int) -> timedelta | None:
        """How long before the next run after `attempts` earlier failed runs plus this one;
        None: no more runs."""
        if attempts + 1 >= self.max_attempts:
            return None
        return self.base_backoff * (1 << attempts)

    def get_retry_decision(
        self, *, exception: BaseException, job: ProcrastinateJob
    ) -> RetryDecision | None:
        delay = None if isinstance(exception, JobFailed) else self.delay(job.attempts)
        if delay is None:
            return None
        return RetryDecision(retry_in={"seconds": max(0, round(delay.total_seconds()))})


class ProcrastinateWorker:
    """Registers one task per handler on `app`; `run` works until `stop` is set."""

    def __init__(
        self,
        app: App,
        handlers: Mapping[str, Handler],
        *,
        max_attempts: int = 6,
        base_backoff: timedelta = timedelta(seconds=10),
        heartbeat_every_s: float = 10.0,
        stalled_after_s: float = 30.0,
    ) -> None:
        self.app = app
        self._retry = ExponentialBackoff(max_attempts, base_backoff)
        self._heartbeat_every_s = heartbeat_every_s
        self._stalled_after_s = stalled_after_s
        self.ran = 0
        self.failed = 0
        for name, handler in handlers.items():
            if name not in app.tasks:
                app.task(name=name, pass_context=True, retry=self._retry)(self._task(handler))

    def _task(self, handler: Handler) -> Callable[..., Awaitable[None]]:
        async def run(context: JobContext, **payload: Any) -> None:
            job = context.job
            self.ran += 1
            try:
                await handler(payload)
            except ProviderUnavailable:
                await self._unless_superseded(context)
                raise
            except DomainError as error:
                self.failed += 1
                log.warning("job.failed", job=job.task_name, code=error.code, error=error.message)
                raise JobFailed(f"{error.code}: {error.message}") from error
            except Exception:
                log.exception("job.crashed", job=job.task_name)
                await self._unless_superseded(context)
                raise

        return run

    async def _unless_superseded(self, context: JobContext) -> None:
        job = context.job
        if self._retry.delay(job.attempts) is None:
            self.failed += 1
            return  # out of attempts: procrastinate fails it
        if job.queueing_lock is None:
            return
        row = await context.app.connector.execute_query_one_async(
            _LOCK_TAKEN, lock=job.queueing_lock
        )
        if row["taken"]:
            self.failed += 1
            raise JobFailed("a waiting job with the same dedupe key does its work")

    def worker(
        self,
        *,
        concurrency: int = 1,
        name: str | None = None,
        wait: bool = True,
        listen_notify: bool = True,
        polling_interval_s: float = 5.0,
    ) -> Worker:
        """A procrastinate worker for this app (not started); signals are left to the
        caller."""
        return Worker(
            app=self.app,
            name=name,
            concurrency=concurrency,
            wait=wait,
            listen_notify=listen_notify,
            fetch_job_polling_interval=polling_interval_s,
            install_signal_handlers=False,
            update_heartbeat_interval=self._heartbeat_every_s,
            stalled_worker_timeout=self._stalled_after_s,
        )

    async def run(
        self,
        stop: asyncio.Event,
        *,
        concurrency: int = 1,
        name: str | None = None,
        polling_interval_s: float = 5.0,
    ) -> None:
        """Run jobs until `stop` is set, then finish the jobs in hand and return. The app
        must be open."""
        worker = self.worker(
            concurrency=concurrency, name=name, polling_interval_s=polling_interval_s
        )
        running = asyncio.create_task(worker.run(), name="procrastinate worker")  # type: ignore[no-untyped-call]
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            worker.stop()  # type: ignore[no-untyped-call]
            await running
        finally:
            stopping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopping
            if not running.done():  # cancelled from outside: procrastinate stops gracefully
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running


__all__ = ["ExponentialBackoff", "JobFailed", "ProcrastinateWorker"]
