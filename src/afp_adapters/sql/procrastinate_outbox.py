"""`ProcrastinateJobOutbox`: the unit of work defers its jobs straight into procrastinate's
`procrastinate_jobs` table (PostgreSQL, `AFP_JOB_QUEUE=procrastinate`), on its own connection
and in its own transaction: a rollback takes the job with it, a commit hands it to the
procrastinate workers (its insert trigger notifies them).

A job maps to procrastinate's columns as: name -> task name, payload -> args (the task's
keyword arguments), run_at -> scheduled_at, dedupe_key -> queueing lock. procrastinate refuses
a second waiting job with one queueing lock; `afp_defer_job_v1` (migration 0006) turns that
refusal into a no-op, like the `jobs` table's unique index does for `SqlJobOutbox`, without
aborting the domain transaction.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from afp_core.domain.jobs import Job

_DEFER = sa.text(
    "SELECT afp_defer_job_v1(:task_name, CAST(:args AS jsonb), :scheduled_at, :queueing_lock)"
)


class ProcrastinateJobOutbox:
    """Implements `JobOutbox` over procrastinate's schema."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._c = conn

    async def defer(self, job: Job) -> None:
        await self._c.execute(
            _DEFER,
            {
                "task_name": job.name,
                "args": json.dumps(dict(job.payload)),
                "scheduled_at": job.run_at,
                "queueing_lock": job.dedupe_key,
            },
        )


__all__ = ["ProcrastinateJobOutbox"]
