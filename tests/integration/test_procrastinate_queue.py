"""procrastinate on PostgreSQL (`AFP_JOB_QUEUE=procrastinate`): jobs deferred in the unit of
work's transaction, run once by competing workers, retried with backoff, scheduled, recovered
from dead workers, and the whole video pipeline through them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from dependency_injector import providers

from afp_adapters.fakes import FakeClock, FakeVideoGenerator, MemoryMediaStorage, SequentialIds
from afp_adapters.procrastinate import (
    ProcrastinateJobQueue,
    ProcrastinateWorker,
    procrastinate_app,
)
from afp_adapters.sql import SqlDatabase
from afp_bootstrap import ConfigurationError, Container, Settings, close_database
from afp_bootstrap.jobs import procrastinate_worker
from afp_core.domain.errors import DomainError, InsufficientCredits, ProviderUnavailable
from afp_core.domain.jobs import Job
from afp_core.domain.video import VideoStatus
from afp_core.usecases import CreateUserCommand, StartVideoCommand
from tests.world import PRODUCT, SCRIPT

pytestmark = pytest.mark.integration

Calls = list[tuple[str, dict[str, Any], float]]


@pytest.fixture
async def db(postgres_url: str) -> AsyncIterator[SqlDatabase]:
    database = SqlDatabase.from_url(postgres_url, SequentialIds(), procrastinate=True)
    yield database
    await database.dispose()


def recording(calls: Calls, *, fail_with: list[Exception] | None = None) -> Any:
    """A handler that records its calls, raising the `fail_with` errors first."""
    failures = list(fail_with or [])

    async def handler(payload: Mapping[str, Any]) -> None:
        calls.append(("job", dict(payload), time.monotonic()))
        if failures:
            raise failures.pop(0)

    return handler


async def defer(db: SqlDatabase, *jobs: Job, commit: bool = True) -> None:
    async with db.unit_of_work() as uow:
        for job in jobs:
            await uow.jobs.defer(job)
        if commit:
            await uow.commit()


async def defer_then_fail(db: SqlDatabase, job: Job) -> None:
    async with db.unit_of_work() as uow:
        await uow.jobs.defer(job)
        raise RuntimeError("the domain write failed")


async def rows(db: SqlDatabase) -> list[tuple[str, str, int]]:
    async with db.engine.connect() as conn:
        result = await conn.execute(
            sa.text("SELECT task_name, status::text, attempts FROM procrastinate_jobs ORDER BY id")
        )
        return [(r[0], r[1], r[2]) for r in result.all()]


async def work(
    workers: list[ProcrastinateWorker], until: Callable[[], bool], *, timeout_s: float = 10.0
) -> None:
    """Run the workers side by side until `until()` holds (then a little longer, so a second
    run of anything would show) or the timeout passes."""
    stop = asyncio.Event()
    async with contextlib_apps(workers):
        runs = [
            asyncio.create_task(w.run(stop, name=f"w{i}", polling_interval_s=0.05))
            for i, w in enumerate(workers)
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_until(until), timeout_s)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*runs)


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 - the condition is the workers' side effect
        await asyncio.sleep(0.05)


class contextlib_apps:  # noqa: N801 - reads as the context manager it is
    def __init__(self, workers: list[ProcrastinateWorker]) -> None:
        self._apps = [w.app for w in workers]

    async def __aenter__(self) -> None:
        for app in self._apps:
            await app.open_async()

    async def __aexit__(self, *_: object) -> None:
        for app in self._apps:
            await app.close_async()


def worker(url: str, handlers: Mapping[str, Any], **options: Any) -> ProcrastinateWorker:
    return ProcrastinateWorker(procrastinate_app(url), handlers, **options)


def soon(seconds: float = 0) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def test_a_job_deferred_in_a_unit_of_work_that_rolls_back_never_runs(
    db: SqlDatabase, postgres_url: str
) -> None:
    calls: Calls = []
    await defer(db, Job("ping", {"n": 1}, soon()), commit=False)
    with pytest.raises(RuntimeError, match="domain write"):
        await defer_then_fail(db, Job("ping", {"n": 2}, soon()))
    assert await rows(db) == []
    await work([worker(postgres_url, {"ping": recording(calls)})], lambda: False, timeout_s=0.3)
    assert calls == []


async def test_a_hold_refused_at_commit_takes_its_deferred_job_with_it(
    postgres_url: str,
) -> None:
    """StartVideo holds (the ledger's fast path, psycopg autocommit) and defers in one
    transaction: a hold that cannot be covered leaves no job behind."""
    c = container(postgres_url)
    try:
        user = await c.create_user().execute(CreateUserCommand("poor@example.com"))
        with pytest.raises(InsufficientCredits):
            await c.start_video().execute(
                StartVideoCommand(user.user.id, PRODUCT, SCRIPT, model="afp-local")
            )
        assert await rows(c.database()) == []
    finally:
        await close_database(c)


async def test_a_committed_job_runs_exactly_once_with_two_workers_competing(
    db: SqlDatabase, postgres_url: str
) -> None:
    calls: Calls = []
    handlers = {"ping": recording(calls)}
    await defer(db, *(Job("ping", {"n": n}, soon()) for n in range(20)))
    await work(
        [worker(postgres_url, handlers), worker(postgres_url, handlers)], lambda: len(calls) >= 20
    )
    assert sorted(p["n"] for _, p, _ in calls) == list(range(20))
    assert {status for _, status, _ in await rows(db)} == {"succeeded"}


async def test_two_defers_with_one_dedupe_key_make_one_job(db: SqlDatabase) -> None:
    await defer(db, Job("ping", {"n": 1}, soon(), "k"), Job("ping", {"n": 2}, soon(), "k"))
    await defer(db, Job("ping", {"n": 3}, soon(), "k"))  # another transaction: dropped too
    await defer(db, Job("ping", {"n": 4}, soon(), "other"))
    assert await rows(db) == [("ping", "todo", 0), ("ping", "todo", 0)]


async def test_a_provider_outage_is_retried_with_backoff_and_a_domain_error_fails_at_once(
    db: SqlDatabase, postgres_url: str
) -> None:
    flaky: Calls = []
    bad: Calls = []
    handlers = {
        "flaky": recording(flaky, fail_with=[ProviderUnavailable("503")]),
        "bad": recording(bad, fail_with=[DomainError("bad input")]),
    }
    await defer(db, Job("flaky", {}, soon()), Job("bad", {}, soon()))
    run = worker(postgres_url, handlers, base_backoff=timedelta(seconds=1))
    await work([run], lambda: len(flaky) >= 2)
    assert len(flaky) == 2 and flaky[1][2] - flaky[0][2] >= 0.9  # waited its backoff
    assert len(bad) == 1
    assert await rows(db) == [("flaky", "succeeded", 2), ("bad", "failed", 1)]  # runs


async def test_a_job_scheduled_in_the_future_does_not_run_early(
    db: SqlDatabase, postgres_url: str
) -> None:
    calls: Calls = []
    await defer(db, Job("ping", {}, soon(3600)), Job("ping", {"now": 1}, soon()))
    await work([worker(postgres_url, {"ping": recording(calls)})], lambda: len(calls) >= 1)
    assert [p for _, p, _ in calls] == [{"now": 1}]
    assert [s for _, s, _ in await rows(db)] == ["todo", "succeeded"]


async def test_the_jobs_of_a_dead_worker_go_back_to_the_queue(
    db: SqlDatabase, postgres_url: str
) -> None:
    await defer(db, Job("ping", {}, soon(), "k1"), Job("ping", {}, soon(), "k2"))
    app = procrastinate_app(postgres_url)
    async with app.open_async():
        dead = await app.job_manager.register_worker()
        for _ in range(2):  # it claimed both, then died
            await app.job_manager.fetch_job(queues=None, worker_id=dead)
        await defer(db, Job("ping", {}, soon(), "k2"))  # k2's work is waiting again already
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"
                )
            )
        assert await ProcrastinateJobQueue(app).requeue_stale(datetime.now(UTC)) == 1
    assert [s for _, s, _ in await rows(db)] == ["todo", "failed", "todo"]


def container(url: str) -> Container:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        job_queue="procrastinate",
        providers="fake",
        storage_url="memory://",
    )
    c = Container(settings=settings)
    # far enough in the past that every job the use cases schedule is due now
    c.clock.override(providers.Object(FakeClock(datetime.now(UTC) - timedelta(days=1))))
    c.ids.override(providers.Object(SequentialIds()))
    c.storage.override(providers.Object(MemoryMediaStorage()))
    c.video_generator.override(providers.Object(FakeVideoGenerator()))
    return c


async def test_a_video_goes_through_the_whole_pipeline_on_procrastinate(postgres_url: str) -> None:
    c = container(postgres_url)
    try:
        user = await c.create_user().execute(
            CreateUserCommand("rich@example.com", starting_credits=50)
        )
        started = await c.start_video().execute(
            StartVideoCommand(user.user.id, PRODUCT, SCRIPT, model="afp-local")
        )
        run = procrastinate_worker(c)
        completed = False

        async def watch() -> None:
            nonlocal completed
            while not completed:
                async with c.database().unit_of_work() as uow:
                    video = await uow.videos.get(user.user.id, started.video_id)
                completed = video.status is VideoStatus.COMPLETED
                await asyncio.sleep(0.05)

        watcher = asyncio.create_task(watch())
        await work([run], lambda: completed, timeout_s=15)
        watcher.cancel()
        assert completed
        names = [name for name, status, _ in await rows(c.database()) if status == "succeeded"]
        assert names[:2] == ["submit_video", "poll_video"] and names[-1] == "settle_video"
    finally:
        await close_database(c)


def test_procrastinate_needs_postgresql() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url="sqlite:///x.db", job_queue="procrastinate"
    )
    with pytest.raises(ConfigurationError, match="postgresql"):
        Container(settings=settings).database()
