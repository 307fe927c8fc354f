"""`SqlJobQueue`: the embedded worker's queue over the `jobs` table (SQLite or PostgreSQL).

Jobs are deferred by units of work (`SqlJobOutbox`), so they exist only if the domain write
committed. Claiming is one `UPDATE ... RETURNING`; on PostgreSQL its subquery takes
`FOR UPDATE SKIP LOCKED`, so several workers never claim the same job. A claim stamps
`claimed_at`: a job still `running` a lease later lost its worker (`requeue_stale`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from afp_adapters.sql import tables as t
from afp_adapters.sql._dialect import for_update
from afp_core.domain.jobs import Job

J = t.jobs
_LOST = "lease expired: its worker stopped mid-job"
_SUPERSEDED = "lease expired; a waiting job with the same dedupe key does its work"


class SqlJobQueue:
    """Implements `JobQueue`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def due(self, now: datetime, *, limit: int = 10) -> Sequence[tuple[str, Job]]:
        async with self._engine.begin() as conn:
            pick = (
                sa.select(J.c.id)
                .where((J.c.status == "waiting") & (J.c.run_at <= now))
                .order_by(J.c.run_at, J.c.id)
                .limit(limit)
            )
            pick = for_update(conn, pick, skip_locked=True)
            rows = (
                await conn.execute(
                    J.update()
                    .where(J.c.id.in_(pick.scalar_subquery()))
                    .values(status="running", attempts=J.c.attempts + 1, claimed_at=now)
                    .returning(
                        J.c.id, J.c.name, J.c.payload, J.c.run_at, J.c.attempts, J.c.dedupe_key
                    )
                )
            ).all()
        rows = sorted(rows, key=lambda r: (r.run_at, r.id))
        return [
            (r.id, Job(r.name, dict(r.payload), r.run_at, r.dedupe_key, attempts=r.attempts - 1))
            for r in rows
        ]

    async def _set(self, job_id: str, **values: object) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(J.update().where(J.c.id == job_id).values(**values))

    async def complete(self, job_id: str) -> None:
        await self._set(job_id, status="done", error=None)

    async def retry(self, job_id: str, *, run_at: datetime, error: str) -> None:
        await self._set(job_id, status="waiting", run_at=run_at, error=error)

    async def fail(self, job_id: str, *, error: str) -> None:
        await self._set(job_id, status="failed", error=error)

    async def next_run_at(self) -> datetime | None:
        async with self._engine.connect() as conn:
            value = (
                await conn.execute(
                    sa.select(sa.func.min(J.c.run_at)).where(J.c.status == "waiting")
                )
            ).scalar()
        return t.UtcDateTime().process_result_value(value, self._engine.dialect)

    async def requeue_stale(self, older_than: datetime) -> int:
        async with self._engine.begin() as conn:
            lapsed = (J.c.status == "running") & (
                J.c.claimed_at.is_(None) | (J.c.claimed_at < older_than)
            )
            pick = sa.select(J.c.id, J.c.dedupe_key).where(lapsed).order_by(J.c.run_at, J.c.id)
            stale = (await conn.execute(for_update(conn, pick, skip_locked=True))).all()
            keys = {r.dedupe_key for r in stale if r.dedupe_key is not None}
            taken: set[str | None] = set()
            if keys:
                waiting = sa.select(J.c.dedupe_key).where(
                    (J.c.status == "waiting") & J.c.dedupe_key.in_(keys)
                )
                taken = set((await conn.execute(waiting)).scalars())
            back: list[str] = []
            superseded: list[str] = []
            for row in stale:
                if row.dedupe_key is not None and row.dedupe_key in taken:
                    superseded.append(row.id)
                    continue
                taken.add(row.dedupe_key)
                back.append(row.id)
            if back:
                await conn.execute(
                    J.update().where(J.c.id.in_(back)).values(status="waiting", error=_LOST)
                )
            if superseded:
                await conn.execute(
                    J.update()
                    .where(J.c.id.in_(superseded))
                    .values(status="failed", error=_SUPERSEDED)
                )
        return len(back)

    async def counts(self) -> dict[str, int]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(sa.select(J.c.status, sa.func.count()).group_by(J.c.status))
            return {str(status): int(count) for status, count in rows.all()}
