"""procrastinate on PostgreSQL: AFP's production job queue (workers, retries with backoff,
scheduled jobs, stalled-job recovery). Jobs are deferred by the SQL units of work, in their
own transaction (`afp_adapters.sql.procrastinate_outbox`)."""

from afp_adapters.procrastinate.app import libpq_conninfo, procrastinate_app
from afp_adapters.procrastinate.queue import ProcrastinateJobQueue
from afp_adapters.procrastinate.worker import (
    ExponentialBackoff,
    JobFailed,
    ProcrastinateWorker,
)

__all__ = [
    "ExponentialBackoff",
    "JobFailed",
    "ProcrastinateJobQueue",
    "ProcrastinateWorker",
    "libpq_conninfo",
    "procrastinate_app",
]
