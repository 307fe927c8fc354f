"""The use cases end to end on SQLite and PostgreSQL: the same outcomes as on the reference."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from afp_adapters.fakes import FakeVideoGenerator, Outcome, Scenario
from afp_bootstrap import close_database
from afp_core.domain.batch import BatchRow, BatchStatus
from afp_core.domain.errors import IdempotencyConflict, IllegalTransition, InsufficientCredits
from afp_core.domain.video import VideoStatus
from afp_core.usecases import CancelBatchCommand, GetBatchStatusQuery, StartBatchCommand
from tests.world import World


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    url = request.getfixturevalue(f"{request.param}_url")
    generator = FakeVideoGenerator(rules={"doomed": Scenario(outcome=Outcome.FAIL)})
    made = World(generator=generator, database_url=url)
    yield made
    await close_database(made.c)


async def test_a_video_is_rendered_stored_and_charged_once(world: World) -> None:
    user = await world.user(credits=50)
    started = await world.start_video(user, model="veo3_fast", idempotency_key="v1")
    replay = await world.start_video(user, model="veo3_fast", idempotency_key="v1")
    assert replay.video_id == started.video_id and replay.replayed
    with pytest.raises(IdempotencyConflict):
        await world.start_video(user, model="afp-local", idempotency_key="v1")
    await world.run_jobs()
    video = await world.video(started.video_id)
    balance = await world.balance(user)
    assert video.status is VideoStatus.COMPLETED
    assert [s for s, _ in video.history][-1] is VideoStatus.COMPLETED
    assert (balance.balance, balance.reserved) == (40, 0)
    assert sum(e.amount for e in await world.entries(user)) == 40


async def test_a_batch_charges_its_successes_and_cancel_releases_the_rest(world: World) -> None:
    world.scraper.blocked.add("https://shop.example.com/products/blocked")
    user = await world.user(credits=200)
    rows = (
        BatchRow(2, "https://shop.example.com/products/a"),
        BatchRow(3, "https://shop.example.com/products/doomed"),
        BatchRow(4, "https://shop.example.com/products/blocked"),
        BatchRow(5, "https://shop.example.com/products/b"),
    )
    started = await world.c.start_batch().execute(StartBatchCommand(user, rows))
    await world.run_jobs()
    status = await world.c.get_batch_status().execute(GetBatchStatusQuery(user, started.batch_id))
    balance = await world.balance(user)
    assert (status.status, status.progress.succeeded, status.progress.failed) == (
        BatchStatus.PARTIAL,
        2,
        2,
    )
    assert (balance.balance, balance.reserved) == (180, 0)
    with pytest.raises(IllegalTransition):  # it has ended
        await world.c.cancel_batch().execute(CancelBatchCommand(user, started.batch_id))


async def test_cancelling_a_running_batch_releases_exactly_what_is_open(world: World) -> None:
    user = await world.user(credits=100)
    rows = tuple(BatchRow(i + 2, f"https://shop.example.com/products/hangs-{i}") for i in range(3))
    world.generator.rules["hangs"] = Scenario(outcome=Outcome.NEVER_FINISH)
    started = await world.c.start_batch().execute(StartBatchCommand(user, rows))
    await world.runner.run_due()
    cancelled = await world.c.cancel_batch().execute(CancelBatchCommand(user, started.batch_id))
    assert cancelled.credits_released == 30
    await world.run_jobs()
    balance = await world.balance(user)
    assert (balance.balance, balance.reserved) == (100, 0)
    with pytest.raises(InsufficientCredits):
        await world.c.start_batch().execute(
            StartBatchCommand(user, tuple(BatchRow(i, f"https://x.test/{i}") for i in range(11)))
        )


async def test_reconcile_finds_nothing_after_real_work_and_finds_tampering(world: World) -> None:
    import sqlalchemy as sa

    from afp_adapters.sql import tables as t
    from afp_bootstrap import reconcile_ledger

    user = await world.user(credits=50)
    await world.start_video(user, model="veo3_fast")
    await world.start_video(user, model="veo3_fast")
    await world.runner.run_due(limit=1)
    assert await reconcile_ledger(world.c) == []
    async with world.c.database().engine.begin() as conn:
        await conn.execute(
            sa.update(t.users)
            .where(t.users.c.id == user)
            .values(credits_balance=t.users.c.credits_balance + 1)
        )
    found = await reconcile_ledger(world.c)
    assert [(d.invariant, d.subject) for d in found] == [("L2", user)]
    assert "balance 51 != journal 50" in found[0].detail


async def test_racing_settlements_of_one_batch_lose_no_item(world: World) -> None:
    """Each settlement rewrites its batch: without a row lock, two racing ones would each
    save a stale copy of the other's item (a lost update on PostgreSQL)."""
    import asyncio

    from dependency_injector import providers

    from afp_core.domain.policy import BatchLimits
    from afp_core.usecases import SettleVideoCommand

    world.generator.rules["hangs"] = Scenario(outcome=Outcome.NEVER_FINISH)
    world.c.batch_limits.override(providers.Object(BatchLimits(user_concurrency=6)))
    user = await world.user(credits=200)
    rows = tuple(BatchRow(i + 2, f"https://shop.example.com/products/hangs-{i}") for i in range(6))
    started = await world.c.start_batch().execute(StartBatchCommand(user, rows))
    await world.runner.run_due()  # items become videos
    await world.runner.run_due()  # videos are submitted
    status = await world.c.get_batch_status().execute(GetBatchStatusQuery(user, started.batch_id))
    videos = [item.video_id for item in status.items if item.video_id]
    assert len(videos) == 6
    settle = world.c.settle_video
    outcomes = ["completed", "failed"] * 3
    await asyncio.gather(
        *(
            settle().execute(
                SettleVideoCommand(
                    video, outcome, result_key=f"k/{video}", result_url=f"u/{video}", reason="boom"
                )
            )
            for video, outcome in zip(videos, outcomes, strict=True)
        )
    )
    after = await world.c.get_batch_status().execute(GetBatchStatusQuery(user, started.batch_id))
    balance = await world.balance(user)
    assert (after.progress.succeeded, after.progress.failed, after.progress.running) == (3, 3, 0)
    assert (balance.balance, balance.reserved) == (200 - 30, 0)


async def test_two_units_of_work_changing_one_batch_never_lose_each_others_items(
    world: World,
) -> None:
    import asyncio

    from afp_core.domain.ids import VideoId

    user = await world.user(credits=100)
    rows = tuple(BatchRow(i + 2, f"https://shop.example.com/products/p{i}") for i in range(2))
    started = await world.c.start_batch().execute(StartBatchCommand(user, rows))
    first_item, second_item = (
        await world.c.get_batch_status().execute(GetBatchStatusQuery(user, started.batch_id))
    ).items

    async def slow_writer() -> None:
        async with world.uow() as uow:
            batch = await uow.batches.get_any(started.batch_id)
            await asyncio.sleep(0.3)  # the other writer runs meanwhile
            batch.start_item(first_item.id, VideoId("v-first"), world.clock.now())
            await uow.batches.save(batch)
            await uow.commit()

    async def quick_writer() -> None:
        await asyncio.sleep(0.05)
        async with world.uow() as uow:
            batch = await uow.batches.get_any(started.batch_id)
            batch.start_item(second_item.id, VideoId("v-second"), world.clock.now())
            await uow.batches.save(batch)
            await uow.commit()

    await asyncio.gather(slow_writer(), quick_writer())
    after = await world.c.get_batch_status().execute(GetBatchStatusQuery(user, started.batch_id))
    assert [i.video_id for i in after.items] == ["v-first", "v-second"]
