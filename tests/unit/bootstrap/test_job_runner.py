"""The job runner retries what may pass, fails what cannot, and never dies of a job."""

from __future__ import annotations

import itertools
from datetime import timedelta

from afp_adapters.fakes import FakeClock, InMemoryDatabase, InMemoryJobQueue, SequentialIds
from afp_bootstrap import JobRunner
from afp_core.domain.errors import ProviderUnavailable, ValidationFailed
from afp_core.domain.jobs import Job, JobPayload


async def queue_with(db: InMemoryDatabase, clock: FakeClock, *names: str) -> InMemoryJobQueue:
    async with db.unit_of_work() as uow:
        for name in names:
            await uow.jobs.defer(Job(name, {"n": name}, run_at=clock.now()))
        await uow.commit()
    return InMemoryJobQueue(db)


async def test_a_flaky_job_is_retried_with_backoff_until_it_succeeds() -> None:
    clock, db = FakeClock(), InMemoryDatabase(SequentialIds())
    queue = await queue_with(db, clock, "flaky")
    calls: list[object] = []

    async def flaky(payload: JobPayload) -> None:
        calls.append(clock.now())
        if len(calls) < 3:
            raise ProviderUnavailable("503")

    runner = JobRunner(queue, {"flaky": flaky}, clock, base_backoff=timedelta(seconds=10))

    async def jump(when: object) -> None:
        clock.set(when)  # type: ignore[arg-type]

    await runner.run_until_idle(wait=jump)
    assert len(calls) == 3
    assert [b - a for a, b in itertools.pairwise(calls)] == [
        timedelta(seconds=10),
        timedelta(seconds=20),
    ]
    assert queue.counts() == {"done": 1}


async def test_bad_input_fails_the_job_at_once_and_crashes_do_not_stop_the_worker() -> None:
    clock, db = FakeClock(), InMemoryDatabase(SequentialIds())
    queue = await queue_with(db, clock, "bad", "crash", "fine", "unknown")
    ran: list[str] = []

    async def bad(payload: JobPayload) -> None:
        raise ValidationFailed("no such video")

    async def crash(payload: JobPayload) -> None:
        raise RuntimeError("bug")

    async def fine(payload: JobPayload) -> None:
        ran.append("fine")

    runner = JobRunner(queue, {"bad": bad, "crash": crash, "fine": fine}, clock, max_attempts=2)

    async def jump(when: object) -> None:
        clock.set(when)  # type: ignore[arg-type]

    await runner.run_until_idle(wait=jump)
    assert ran == ["fine"]
    assert queue.counts() == {"failed": 3, "done": 1}
    assert runner.failed == 3


async def test_a_job_deferred_in_a_rolled_back_unit_of_work_never_runs() -> None:
    clock, db = FakeClock(), InMemoryDatabase(SequentialIds())
    async with db.unit_of_work() as uow:
        await uow.jobs.defer(Job("x", {}, run_at=clock.now()))
        # no commit: rolled back
    queue = InMemoryJobQueue(db)
    assert await queue.due(clock.now()) == []
    assert await queue.next_run_at() is None
