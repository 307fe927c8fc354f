"""Recovery on SQLite and PostgreSQL: a worker dies mid-job, its lease runs out, the sweeper
puts the job back, and the video still ends exactly once with the ledger adding up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from afp_bootstrap import close_database
from afp_core.domain.policy import VideoTiming
from afp_core.domain.video import VideoStatus
from tests.unit.usecases._faults import (
    DyingGenerator,
    DyingStorage,
    assert_ended_once,
    assert_ledger_holds,
    run_like_a_worker,
    sweep,
    with_storage,
)
from tests.world import World

PAST_LEASE = VideoTiming().job_lease + timedelta(seconds=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    url = request.getfixturevalue(f"{request.param}_url")
    made = with_storage(
        World(generator=DyingGenerator(crashes=1, rules={}), database_url=url),
        DyingStorage(crashes=1),
    )
    yield made
    await close_database(made.c)


async def test_dead_workers_are_recovered_and_every_video_ends_once(world: World) -> None:
    user = await world.user(credits=30)
    first = await world.start_video(user)  # its create call kills the worker
    assert await run_like_a_worker(world) == 1
    second = await world.start_video(user)  # its store kills the worker
    world.clock.advance(timedelta(seconds=1))
    assert await run_like_a_worker(world) == 1
    assert (await world.c.job_queue().counts()).get("running") == 2

    world.clock.advance(PAST_LEASE)
    swept = await sweep(world)
    assert (swept.jobs_requeued, swept.videos_failed) == (2, 1)
    assert await run_like_a_worker(world) == 0

    assert await assert_ended_once(world, user, first.video_id) is VideoStatus.FAILED
    assert await assert_ended_once(world, user, second.video_id) is VideoStatus.COMPLETED
    assert world.generator.submit_calls == 2
    balance = await world.balance(user)
    assert (balance.balance, balance.reserved) == (29, 0)
    await assert_ledger_holds(world, user)
    assert "running" not in await world.c.job_queue().counts()
