"""`afp worker`: run the background jobs against the configured database until stopped.

Each job (submit, poll, settle, batch items, the sweeper) runs through its use case. SIGINT
or SIGTERM stops the worker gracefully: the job in hand is finished, nothing new is claimed,
and the exit code is 0 (a second signal stops at once; the interrupted job goes back to the
queue when its lease runs out). `--concurrency N` runs N loops in one process: on PostgreSQL
they claim with `FOR UPDATE SKIP LOCKED`, so each job runs once; on SQLite one loop is enough
(writes are serialised, more loops only wait on each other). More processes may run side by
side on PostgreSQL. With `AFP_JOB_QUEUE=procrastinate` (PostgreSQL) procrastinate's worker
runs the jobs instead, `--concurrency` of them at a time, with the same graceful stop.
"""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING, Annotated

import structlog
import typer

from afp_cli._errors import fail_on_domain_errors

if TYPE_CHECKING:
    from afp_bootstrap import Container

log = structlog.get_logger("afp.worker")


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Job loops in this process (1 on SQLite)")
    ] = 1,
    idle_poll: Annotated[
        float, typer.Option(min=0.05, help="Seconds between looks at an empty queue")
    ] = 1.0,
    json_logs: Annotated[
        bool, typer.Option("--json-logs", help="Log JSON lines (also AFP_LOG_JSON=1)")
    ] = False,
) -> None:
    """Run background jobs (renders, settlements, the sweeper) until SIGINT or SIGTERM."""
    from afp_bootstrap import build_container
    from afp_bootstrap.logs import configure_logging

    if json_logs:  # `main` configured plain logs (or JSON with AFP_LOG_JSON=1) already
        configure_logging(json=True)
    with fail_on_domain_errors():
        container = build_container()
        asyncio.run(run_worker(container, concurrency=concurrency, idle_poll_s=idle_poll))


async def run_worker(
    container: Container, *, concurrency: int = 1, idle_poll_s: float = 1.0
) -> None:
    """Check the schema, seed the sweeper, then run `concurrency` job loops until a signal."""
    from afp_bootstrap import (
        ConfigurationError,
        close_database,
        job_runner,
        open_database,
    )
    from afp_bootstrap.jobs import schedule_sweep, schedule_token_refresh

    url = container.checked_settings().database_url
    if url.startswith("memory:"):
        raise ConfigurationError(
            "afp worker needs a database it shares: sqlite:/// or postgresql://"
        )
    if url.startswith("sqlite") and concurrency > 1:
        log.warning("worker.sqlite_concurrency", concurrency=concurrency, hint="1 is enough")
    await open_database(container)  # refuses a schema that is behind: run `afp migrate`
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def on_signal(name: str) -> None:
        if stop.is_set() and main is not None:  # asked twice: stop now
            log.warning("worker.stopping_now", signal=name)
            main.cancel()
            return
        log.info("worker.stopping", signal=name, hint="finishing the current job")
        stop.set()

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, on_signal, sig.name)
    try:
        await schedule_sweep(container)
        await schedule_token_refresh(container)
        log.info("worker.started", concurrency=concurrency, database=_dialect(url))
        if container.checked_settings().job_queue == "procrastinate":
            await _run_procrastinate(container, stop, concurrency=concurrency)
            return
        runners = [job_runner(container) for _ in range(concurrency)]
        await asyncio.gather(
            *(r.run_forever(stop, idle_poll_s=idle_poll_s, batch=1) for r in runners)
        )
        log.info("worker.stopped", jobs=sum(r.ran for r in runners))
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        await close_database(container)


async def _run_procrastinate(
    container: Container, stop: asyncio.Event, *, concurrency: int
) -> None:
    """procrastinate's worker (`AFP_JOB_QUEUE=procrastinate`): `concurrency` jobs at a time."""
    from afp_bootstrap.jobs import procrastinate_worker

    worker = procrastinate_worker(container)
    async with worker.app.open_async():
        await worker.run(stop, concurrency=concurrency)
    log.info("worker.stopped", jobs=worker.ran, queue="procrastinate")


def _dialect(url: str) -> str:
    """The database kind, never the URL (it may hold a password)."""
    return url.split(":", 1)[0]


__all__ = ["run_worker", "worker"]
