"""Batches on fakes: quote, budget, retry of failed items, fair concurrency, status and ETA."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dependency_injector import providers

from afp_adapters.fakes import FakeVideoGenerator, Outcome, Scenario
from afp_core.domain.batch import BatchRow, BatchStatus, start_allowed
from afp_core.domain.errors import BudgetExceeded, IllegalTransition, InvalidRows
from afp_core.domain.ids import BatchId, UserId
from afp_core.domain.policy import BatchLimits
from afp_core.usecases import (
    CancelBatchCommand,
    GetBatchStatusQuery,
    GetBatchStatusResult,
    QuoteBatchQuery,
    RetryBatchItemsCommand,
    StartBatchCommand,
    StartBatchResult,
)
from tests.world import World

PRICE = 10  # veo3_fast, 8 s


def rows(n: int, prefix: str = "product") -> tuple[BatchRow, ...]:
    return tuple(
        BatchRow(i + 2, f"https://shop.example.com/products/{prefix}-{i}") for i in range(n)
    )


def limited(world: World, **limits: int) -> World:
    world.c.batch_limits.override(providers.Object(BatchLimits(**limits)))  # type: ignore[arg-type]
    return world


async def start(
    world: World, user: UserId, batch_rows: tuple[BatchRow, ...], **kw: object
) -> StartBatchResult:
    return await world.c.start_batch().execute(
        StartBatchCommand(user_id=user, rows=batch_rows, model="veo3_fast", **kw)  # type: ignore[arg-type]
    )


async def status(world: World, user: UserId, batch_id: BatchId) -> GetBatchStatusResult:
    return await world.c.get_batch_status().execute(GetBatchStatusQuery(user, batch_id))


async def test_a_quote_prices_every_row_and_holds_nothing() -> None:
    world = World()
    user = await world.user(credits=25)
    before = world.snapshot()
    quote = await world.c.quote_batch().execute(
        QuoteBatchQuery(user, rows(3), model="veo3_fast", budget=20)
    )
    assert [(r.line, r.price) for r in quote.rows] == [(2, PRICE), (3, PRICE), (4, PRICE)]
    assert (quote.total, quote.available) == (3 * PRICE, 25)
    assert not quote.affordable and not quote.within_budget
    assert world.snapshot() == before
    bad = (*rows(1), BatchRow(9, "ftp://shop.example.com/x"))
    with pytest.raises(InvalidRows) as caught:
        await world.c.quote_batch().execute(QuoteBatchQuery(user, bad))
    assert [(e.line, e.column) for e in caught.value.errors] == [(9, "url")]


async def test_a_batch_over_its_budget_is_refused_and_writes_nothing() -> None:
    world = World()
    user = await world.user(credits=1000)
    before = world.snapshot()
    with pytest.raises(BudgetExceeded) as caught:
        await start(world, user, rows(5), budget=4 * PRICE)
    assert (caught.value.cost, caught.value.budget) == (5 * PRICE, 4 * PRICE)
    assert world.snapshot() == before


async def test_retrying_failed_items_holds_just_them_and_charges_only_successes() -> None:
    world = World()
    user = await world.user(credits=1000)
    blocked = {
        "https://shop.example.com/products/product-1",
        "https://shop.example.com/products/product-3",
    }
    world.scraper.blocked.update(blocked)
    started = await start(world, user, rows(5), budget=10 * PRICE)
    await world.run_jobs()
    first = await status(world, user, started.batch_id)
    assert (first.status, first.progress.succeeded, first.progress.failed) == (
        BatchStatus.PARTIAL,
        3,
        2,
    )
    assert all(
        "scrape_blocked" in (i.error or "") for i in first.items if i.status.is_final and i.error
    )
    world.scraper.blocked.clear()  # the shop lets us in now
    retried = await world.c.retry_batch_items().execute(
        RetryBatchItemsCommand(user, started.batch_id)
    )
    assert (retried.items_retried, retried.credits_reserved) == (2, 2 * PRICE)
    assert (await world.balance(user)).reserved == 2 * PRICE
    await world.run_jobs()
    done = await status(world, user, started.batch_id)
    balance = await world.balance(user)
    assert done.status is BatchStatus.COMPLETED
    assert (balance.balance, balance.reserved) == (1000 - 5 * PRICE, 0)
    assert done.credits is not None
    assert (done.credits.reserved, done.credits.captured, done.credits.held) == (
        7 * PRICE,
        5 * PRICE,
        0,
    )
    assert sorted(i.attempts for i in done.items) == [1, 1, 1, 2, 2]
    with pytest.raises(IllegalTransition):  # nothing failed any more
        await world.c.retry_batch_items().execute(RetryBatchItemsCommand(user, started.batch_id))


async def test_retries_never_take_a_batch_past_its_budget() -> None:
    """Only captures spend: a failed attempt gives its credits back, so a batch whose total
    fits its budget can retry its failures again and again and stay within it."""
    world = World(generator=FakeVideoGenerator(rules={"doomed": Scenario(outcome=Outcome.FAIL)}))
    user = await world.user(credits=1000)
    budget = 5 * PRICE
    started = await start(world, user, (*rows(3), *rows(2, "doomed")), budget=budget)
    for _ in range(3):
        await world.run_jobs()
        now = await status(world, user, started.batch_id)
        assert now.credits is not None
        assert now.credits.captured + now.credits.held <= budget
        assert now.progress.failed == 2
        retried = await world.c.retry_batch_items().execute(
            RetryBatchItemsCommand(user, started.batch_id)
        )
        assert retried.credits_reserved == 2 * PRICE
        now = await status(world, user, started.batch_id)
        assert now.credits is not None and now.credits.captured + now.credits.held == budget
    await world.run_jobs()
    assert (await world.balance(user)).balance == 1000 - 3 * PRICE
    assert await world.holds(user) == []


async def test_a_cancelled_batch_cannot_be_retried() -> None:
    world = World()
    user = await world.user(credits=100)
    started = await start(world, user, rows(2))
    await world.c.cancel_batch().execute(CancelBatchCommand(user, started.batch_id))
    with pytest.raises(IllegalTransition):
        await world.c.retry_batch_items().execute(RetryBatchItemsCommand(user, started.batch_id))


async def test_a_batch_queues_only_its_window_and_each_settled_item_queues_the_next() -> None:
    world = limited(World(), user_concurrency=3)
    user = await world.user(credits=1000)
    started = await start(world, user, rows(10))
    queued = [j for j in world.db.tables.jobs.values() if j.job.name == "process_batch_item"]
    assert len(queued) == 3
    await world.run_jobs()
    done = await status(world, user, started.batch_id)
    assert done.progress.succeeded == 10
    assert done.eta == timedelta(0)


async def test_status_counts_credits_and_estimates_the_time_left() -> None:
    world = limited(
        World(generator=FakeVideoGenerator(default=Scenario(polls_before_done=2))),
        user_concurrency=2,
    )
    user = await world.user(credits=1000)
    started = await start(world, user, rows(6))
    first = await status(world, user, started.batch_id)
    assert first.eta is None  # nothing has ended yet
    for _ in range(200):
        await world.runner.run_due(limit=1)
        world.clock.advance(5)
        now = await status(world, user, started.batch_id)
        if now.progress.succeeded >= 2:
            break
    assert now.eta is not None and now.eta > timedelta(0)
    assert now.credits is not None
    assert now.credits.captured == now.progress.succeeded * PRICE
    assert now.credits.held == 6 * PRICE - now.credits.captured


async def test_two_users_batches_progress_side_by_side() -> None:
    world = limited(World(), user_concurrency=2, global_concurrency=3)
    big, small = await world.user(credits=10_000), await world.user(credits=100)
    large = await start(world, big, rows(40, "big"))
    little = await start(world, small, rows(3, "small"))
    little_done_at = None
    for step in range(1, 2000):
        if not await world.runner.run_due(limit=1):
            world.clock.advance(5)
            continue
        if little_done_at is None:
            mine = await status(world, small, little.batch_id)
            if mine.status is not BatchStatus.RUNNING:
                little_done_at = step
                theirs = await status(world, big, large.batch_id)
                break
    assert little_done_at is not None
    assert mine.status is BatchStatus.COMPLETED
    assert theirs.progress.succeeded < 10  # the small batch did not wait for the big one
    await world.run_jobs()
    assert (await status(world, big, large.batch_id)).progress.succeeded == 40


def test_no_user_takes_more_than_an_equal_share_while_others_wait() -> None:
    a, b, c = UserId("a"), UserId("b"), UserId("c")
    assert start_allowed(a, {a: 3}, user_limit=4, global_limit=16)
    assert not start_allowed(a, {a: 4}, user_limit=4, global_limit=16)  # its own limit
    assert not start_allowed(b, {a: 4, c: 12}, user_limit=4, global_limit=16)  # all busy
    assert not start_allowed(a, {a: 3}, user_limit=8, global_limit=6, waiting_users=[b])
    assert start_allowed(b, {a: 3}, user_limit=8, global_limit=6, waiting_users=[b])
    assert [
        start_allowed(u, {a: 1, b: 1}, user_limit=4, global_limit=3, waiting_users=[c])
        for u in (a, b, c)
    ] == [False, False, True]
