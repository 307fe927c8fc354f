"""`InMemoryJobQueue`: the consumer side of the jobs in-memory units of work defer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from afp_adapters.fakes.unit_of_work import InMemoryDatabase
from afp_core.domain.jobs import Job

_LOST = "lease expired: its worker stopped mid-job"
_SUPERSEDED = "lease expired; a waiting job with the same dedupe key does its work"


class InMemoryJobQueue:
    """Implements `JobQueue` over an `InMemoryDatabase`'s committed jobs."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self._db = db

    async def _update(
        self, job_id: str, status: str, *, run_at: datetime | None = None, error: str | None = None
    ) -> None:
        async with self._db.lock:
            tables = self._db.tables.view()
            record = tables.jobs[job_id]
            tables.jobs[job_id] = attrs.evolve(
                record, status=status, run_at=run_at or record.run_at, error=error
            )
            self._db.tables.apply(tables)

    async def due(self, now: datetime, *, limit: int = 10) -> Sequence[tuple[str, Job]]:
        async with self._db.lock:
            tables = self._db.tables.view()
            ready = sorted(
                (r for r in tables.jobs.values() if r.status == "waiting" and r.run_at <= now),
                key=lambda r: (r.run_at, r.id),
            )[:limit]
            claimed = []
            for record in ready:
                tables.jobs[record.id] = attrs.evolve(
                    record, status="running", attempts=record.attempts + 1, claimed_at=now
                )
                claimed.append((record.id, attrs.evolve(record.job, attempts=record.attempts)))
            self._db.tables.apply(tables)
            return claimed

    async def complete(self, job_id: str) -> None:
        await self._update(job_id, "done")

    async def retry(self, job_id: str, *, run_at: datetime, error: str) -> None:
        await self._update(job_id, "waiting", run_at=run_at, error=error)

    async def fail(self, job_id: str, *, error: str) -> None:
        await self._update(job_id, "failed", error=error)

    async def next_run_at(self) -> datetime | None:
        waiting = [r.run_at for r in self._db.tables.jobs.values() if r.status == "waiting"]
        return min(waiting, default=None)

    async def requeue_stale(self, older_than: datetime) -> int:
        async with self._db.lock:
            tables = self._db.tables.view()
            records = tables.jobs.values()
            taken = {r.job.dedupe_key for r in records if r.status == "waiting"}
            stale = sorted(
                (
                    r
                    for r in records
                    if r.status == "running" and (r.claimed_at is None or r.claimed_at < older_than)
                ),
                key=lambda r: (r.run_at, r.id),
            )
            requeued = 0
            for record in stale:
                key = record.job.dedupe_key
                if key is not None and key in taken:
                    tables.jobs[record.id] = attrs.evolve(
                        record, status="failed", error=_SUPERSEDED
                    )
                    continue
                taken.add(key)
                tables.jobs[record.id] = attrs.evolve(record, status="waiting", error=_LOST)
                requeued += 1
            self._db.tables.apply(tables)
            return requeued

    def counts(self) -> dict[str, int]:
        """Jobs per status, for tests and the demo."""
        found: dict[str, int] = {}
        for record in self._db.tables.jobs.values():
            found[record.status] = found.get(record.status, 0) + 1
        return found


__all__ = ["InMemoryJobQueue"]
