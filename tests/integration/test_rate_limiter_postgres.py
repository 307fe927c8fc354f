"""PostgresRateLimiter holds one limit across worker processes (two engines stand in for two
processes), timed by the database's clock."""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from afp_adapters.sql import make_engine
from afp_adapters.sql.rate_limiter import PostgresRateLimiter
from afp_adapters.sql.tables import rate_limit_events
from afp_core.domain.errors import ProviderUnavailable

pytestmark = pytest.mark.integration

LIMIT, PER = 5, 1.0


def most_in_any_window(times: list[float], per: float) -> int:
    return max((sum(1 for u in times if t <= u < t + per) for t in times), default=0)


async def stored_times(engine: AsyncEngine, key: str) -> list[float]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(rate_limit_events.c.at)
            .where(rate_limit_events.c.key == key)
            .order_by(rate_limit_events.c.at)
        )
        return [at.timestamp() for at in rows.scalars()]


async def test_two_processes_never_exceed_the_limit_in_any_window(postgres_url: str) -> None:
    engines = [make_engine(postgres_url), make_engine(postgres_url)]
    try:
        limiters = [
            PostgresRateLimiter(e, limit=LIMIT, per=PER, key="kie", keep_for=60.0) for e in engines
        ]
        other = PostgresRateLimiter(engines[0], limit=LIMIT, per=PER, key="openai")

        async def acquire(limiter: PostgresRateLimiter) -> float:
            await limiter.acquire()
            return time.monotonic()

        start = time.monotonic()
        returned = await asyncio.gather(
            *(acquire(limiters[i % 2]) for i in range(14)),
            *(acquire(other) for _ in range(LIMIT)),
        )
        kie_returns = returned[:14]

        granted = await stored_times(engines[0], "kie:default")
        assert len(granted) == 14
        assert most_in_any_window(granted, PER) == LIMIT  # exact, on the database's clock
        # 14 acquisitions at 5 per second: the last slot is two windows after the first
        assert granted[-1] - granted[0] == pytest.approx(2 * PER, abs=0.1)
        # callers return at their slots (give or take the event loop's scheduling)
        assert most_in_any_window(kie_returns, PER - 0.05) <= LIMIT
        assert max(kie_returns) - start == pytest.approx(2 * PER, abs=0.5)
        # another limit is counted on its own: it never waited
        assert max(returned[14:]) - start < 0.5
    finally:
        for engine in engines:
            await engine.dispose()


async def test_old_rows_are_pruned_as_it_goes(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        limiter = PostgresRateLimiter(engine, limit=10, per=0.2, key="kie")
        for _ in range(3):
            await limiter.acquire()
        await asyncio.sleep(0.25)
        await limiter.acquire()
        assert len(await stored_times(engine, "kie:default")) == 1
    finally:
        await engine.dispose()


async def test_a_wait_beyond_max_wait_is_refused_and_takes_no_slot(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        limiter = PostgresRateLimiter(engine, limit=1, per=30.0, key="kie", max_wait=1.0)
        await limiter.acquire()
        with pytest.raises(ProviderUnavailable, match="s away"):
            await limiter.acquire()
        assert len(await stored_times(engine, "kie:default")) == 1
    finally:
        await engine.dispose()


async def test_a_cancelled_wait_gives_its_slot_back(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        reserved = asyncio.Event()

        async def sleep(seconds: float) -> None:
            reserved.set()
            await asyncio.sleep(seconds)

        limiter = PostgresRateLimiter(engine, limit=1, per=30.0, key="kie", sleep=sleep)
        await limiter.acquire()
        waiting = asyncio.ensure_future(limiter.acquire())
        await reserved.wait()
        assert len(await stored_times(engine, "kie:default")) == 2
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert len(await stored_times(engine, "kie:default")) == 1
    finally:
        await engine.dispose()


async def test_it_refuses_an_engine_that_is_not_postgresql(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with pytest.raises(ValueError, match="InMemoryRateLimiter"):
            PostgresRateLimiter(engine)
    finally:
        await engine.dispose()
