"""`JobRunner`: runs deferred jobs through their use cases, with retries."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

import structlog

from afp_core.domain.errors import DomainError, ProviderUnavailable
from afp_core.domain.jobs import JobPayload
from afp_core.ports.commerce import JobQueue
from afp_core.ports.system import Clock

Handler = Callable[[JobPayload], Awaitable[object]]
log = structlog.get_logger("afp.worker")


class JobRunner:
    """Claims due jobs and runs them.

    A handler that raises `ProviderUnavailable` (or any unexpected exception) is retried with
    exponential backoff up to `max_attempts`; a `DomainError` fails the job at once (retrying
    bad input cannot help).
    """

    def __init__(
        self,
        queue: JobQueue,
        handlers: Mapping[str, Handler],
        clock: Clock,
        *,
        max_attempts: int = 6,
        base_backoff: timedelta = timedelta(seconds=10),
    ) -> None:
        self._queue = queue
        self._handlers = handlers
        self._clock = clock
        self._max_attempts = max_attempts
        self._base_backoff = base_backoff
        self.ran = 0
        self.failed = 0

    async def run_due(self, *, limit: int = 20) -> int:
        """Run the jobs due now; returns how many ran."""
        claimed = await self._queue.due(self._clock.now(), limit=limit)
        for job_id, job in claimed:
            handler = self._handlers.get(job.name)
            if handler is None:
                await self._queue.fail(job_id, error=f"no handler for job {job.name!r}")
                self.failed += 1
                continue
            try:
                await handler(job.payload)
            except ProviderUnavailable as error:
                await self._retry(job_id, job.attempts, error.message)
            except DomainError as error:
                log.warning("job.failed", job=job.name, code=error.code, error=error.message)
                await self._queue.fail(job_id, error=f"{error.code}: {error.message}")
                self.failed += 1
            except Exception as error:
                log.exception("job.crashed", job=job.name)
                await self._retry(job_id, job.attempts, repr(error))
            else:
                await self._queue.complete(job_id)
            self.ran += 1
        return len(claimed)

    async def _retry(self, job_id: str, attempts: int, error: str) -> None:
        if attempts + 1 >= self._max_attempts:
            await self._queue.fail(job_id, error=error)
            self.failed += 1
            return
        delay = self._base_backoff * (2**attempts)
        await self._queue.retry(job_id, run_at=self._clock.now() + delay, error=error)

    async def run_until_idle(
        self,
        *,
        wait: Callable[[datetime], Awaitable[None]] | None = None,
        max_jobs: int = 100_000,
    ) -> int:
        """Run jobs until none is waiting. When the next job is in the future, `wait(run_at)`
        is awaited (a fake clock jumps; the default sleeps until then)."""
        total = 0
        while total < max_jobs:
            ran = await self.run_due()
            total += ran
            if ran:
                continue
            next_at = await self._queue.next_run_at()
            if next_at is None:
                return total
            await (wait or self._sleep_until)(next_at)
        return total

    async def _sleep_until(self, when: datetime) -> None:
        await asyncio.sleep(max(0.0, (when - self._clock.now()).total_seconds()))

    async def run_forever(
        self, stop: asyncio.Event, *, idle_poll_s: float = 1.0, batch: int = 20
    ) -> None:
        """Run jobs until `stop` is set; `batch` jobs are claimed at a time and run before
        `stop` is looked at again (`batch=1`: a stop waits only for the current job)."""
        while not stop.is_set():
            if not await self.run_due(limit=batch):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_poll_s)


__all__ = ["Handler", "JobRunner"]
