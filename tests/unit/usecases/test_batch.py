"""Batches on fakes: one reservation, per-item settlement, cancel, validation."""

from __future__ import annotations

import pytest

from afp_adapters.fakes import FakeVideoGenerator, Outcome, Scenario
from afp_core.domain.batch import BatchRow, BatchStatus, ItemStatus
from afp_core.domain.errors import InsufficientCredits, InvalidRows, NotFound
from afp_core.domain.ids import UserId
from afp_core.usecases import (
    CancelBatchCommand,
    GetBatchStatusQuery,
    StartBatchCommand,
    StartBatchResult,
)
from tests.world import World

PRICE = 10  # veo3_fast, 8 s


def rows(
    n: int, *, blocked: set[int] = frozenset(), failing: set[int] = frozenset()
) -> tuple[BatchRow, ...]:
    out = []
    for i in range(n):
        slug = f"product-{i}"
        if i in blocked:
            slug = f"blocked-{i}"
        elif i in failing:
            slug = f"doomed-{i}"
        out.append(BatchRow(i + 2, f"https://shop.example.com/products/{slug}"))
    return tuple(out)


def world_with_failures() -> World:
    generator = FakeVideoGenerator(rules={"doomed": Scenario(outcome=Outcome.FAIL)})
    return World(generator=generator)


async def start(
    world: World, user: UserId, batch_rows: tuple[BatchRow, ...], **kw: object
) -> StartBatchResult:
    return await world.c.start_batch().execute(
        StartBatchCommand(user_id=user, rows=batch_rows, model="veo3_fast", **kw)  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("n", "blocked", "failing"),
    [
        (1, set(), set()),
        (5, {1}, {3}),
        (12, {0, 5, 6}, {2, 9, 11}),
        (6, set(), set(range(6))),
    ],
)
async def test_a_batch_charges_exactly_its_successes_and_leaves_nothing_held(
    n: int, blocked: set[int], failing: set[int]
) -> None:
    world = world_with_failures()
    for i in blocked:
        world.scraper.blocked.add(f"https://shop.example.com/products/blocked-{i}")
    user = await world.user(credits=1000)
    started = await start(world, user, rows(n, blocked=blocked, failing=failing))
    assert (started.total_items, started.credits_reserved) == (n, n * PRICE)
    assert (await world.balance(user)).reserved == n * PRICE
    await world.run_jobs()
    k = len(blocked | failing)
    balance = await world.balance(user)
    assert (balance.balance, balance.reserved) == (1000 - (n - k) * PRICE, 0)
    assert await world.holds(user) == []
    status = await world.c.get_batch_status().execute(GetBatchStatusQuery(user, started.batch_id))
    assert (status.progress.succeeded, status.progress.failed) == (n - k, k)
    assert status.progress.credits_captured == (n - k) * PRICE
    assert status.progress.credits_open == 0
    expected = (
        BatchStatus.COMPLETED if k == 0 else (BatchStatus.FAILED if k == n else BatchStatus.PARTIAL)
    )
    assert status.status is expected
    blocked_items = [i for i in status.items if "scrape_blocked" in (i.error or "")]
    assert len(blocked_items) == len(blocked)


async def test_cancelling_mid_way_releases_exactly_the_open_remainder() -> None:
    world = World(generator=FakeVideoGenerator(default=Scenario(polls_before_done=3)))
    user = await world.user(credits=500)
    started = await start(world, user, rows(8))
    query = GetBatchStatusQuery(user, started.batch_id)
    for _ in range(100):  # run a little at a time until some items are done and some open
        await world.runner.run_due(limit=2)
        world.clock.advance(15)
        before = await world.c.get_batch_status().execute(query)
        if before.progress.credits_captured and before.progress.pending + before.progress.running:
            break
    captured_before = before.progress.credits_captured
    assert 0 < captured_before < 8 * PRICE  # really mid-way
    result = await world.c.cancel_batch().execute(CancelBatchCommand(user, started.batch_id))
    assert result.credits_released == 8 * PRICE - captured_before
    await world.run_jobs()  # late provider results change nothing
    after = await world.c.get_batch_status().execute(query)
    balance = await world.balance(user)
    assert after.status is BatchStatus.CANCELLED
    assert after.progress.credits_captured == captured_before
    assert (balance.balance, balance.reserved) == (500 - captured_before, 0)
    again = await world.c.cancel_batch().execute(CancelBatchCommand(user, started.batch_id))
    assert again.credits_released == 0


async def test_a_batch_with_bad_rows_lists_every_bad_row_and_writes_nothing() -> None:
    world = World()
    user = await world.user(credits=1000)
    bad = (
        BatchRow(2, "https://shop.example.com/products/a"),
        BatchRow(3, "ftp://shop.example.com/b"),
        BatchRow(4, "https://shop.example.com/products/a"),
        BatchRow(5, "https://shop.example.com/products/c", {"model": "nope"}),
        BatchRow(6, "https://shop.example.com/products/d", {"duration_s": "eight"}),
        BatchRow(7, "https://shop.example.com/products/e", {"colour": "red"}),
        BatchRow(8, "https://shop.example.com/products/f", {"model": "veo3"}),
    )
    before = world.snapshot()
    with pytest.raises(InvalidRows) as caught:
        await start(world, user, bad)
    assert [(e.line, e.column) for e in caught.value.errors] == [
        (3, "url"),
        (4, "url"),
        (5, "model"),
        (6, "duration_s"),
        (7, "colour"),
        (8, "model"),
    ]
    assert "duplicate of line 2" in caught.value.errors[1].reason
    assert "not available on the free plan" in caught.value.errors[-1].reason
    assert world.snapshot() == before


async def test_a_batch_the_user_cannot_afford_writes_nothing() -> None:
    world = World()
    user = await world.user(credits=25)
    before = world.snapshot()
    with pytest.raises(InsufficientCredits):
        await start(world, user, rows(3))
    assert world.snapshot() == before


async def test_starting_a_batch_twice_with_one_key_reserves_once() -> None:
    world = World()
    user = await world.user(credits=100)
    first = await start(world, user, rows(3), idempotency_key="b-1")
    again = await start(world, user, rows(3), idempotency_key="b-1")
    assert again.batch_id == first.batch_id and again.replayed
    assert (await world.balance(user)).reserved == 3 * PRICE


async def test_another_users_batch_is_not_found() -> None:
    world = World()
    alice, bob = await world.user(credits=100), await world.user(credits=100)
    started = await start(world, alice, rows(2))
    with pytest.raises(NotFound):
        await world.c.cancel_batch().execute(CancelBatchCommand(bob, started.batch_id))
    with pytest.raises(NotFound):
        await world.c.get_batch_status().execute(GetBatchStatusQuery(bob, started.batch_id))


async def test_items_running_when_cancelled_end_cancelled_with_their_videos() -> None:
    world = World(generator=FakeVideoGenerator(default=Scenario(outcome=Outcome.NEVER_FINISH)))
    user = await world.user(credits=100)
    started = await start(world, user, rows(2))
    await world.runner.run_due()  # both items create videos
    await world.c.cancel_batch().execute(CancelBatchCommand(user, started.batch_id))
    status = await world.c.get_batch_status().execute(GetBatchStatusQuery(user, started.batch_id))
    assert {i.status for i in status.items} == {ItemStatus.CANCELLED}
    for item in status.items:
        assert item.video_id is not None
        assert (await world.video(item.video_id)).status.value == "CANCELLED"
    await world.run_jobs()
    assert (await world.balance(user)).available == 100
