"""`PostgresRateLimiter`: one sliding-window rate limit shared by every worker process.

Implements the `RateLimiter` protocol of `afp_adapters.resilience` (structurally: adapter
families do not import each other). Kie allows about 20 task creations per 10 s per *account*,
so each worker counting on its own would overshoot as soon as there are two of them.

One short transaction per acquisition, serialised per key by
`pg_advisory_xact_lock(hashtext(key))`, timed by the database's `clock_timestamp()` (one clock
for every process): prune rows older than the window, read the `limit`-th latest
acquisition `t_k`, reserve `slot = max(now, t_k + per)` by inserting it, commit. The caller
then sleeps until the slot outside the transaction, holding no lock and no connection. Fewer
than `limit` rows lie after `slot - per`, so no window holding the slot can overflow; a
cancelled wait deletes its row. SQLite deployments run one worker: use
`InMemoryRateLimiter` there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from afp_adapters.sql.tables import rate_limit_events
from afp_core.domain.errors import ProviderUnavailable

_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))")
_NOW = sa.text("SELECT clock_timestamp()")


class PostgresRateLimiter:
    """At most `limit` acquisitions per `per` seconds for each key, across processes.
    Keys are stored as `f"{key}:{acquire_key}"`, so `key` names the limit (e.g. "kie")."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        limit: int = 20,
        per: float = 10.0,
        key: str = "default",
        max_wait: float | None = None,
        keep_for: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`keep_for`: how long rows are kept (at least `per`; longer only to inspect them)."""
        if engine.dialect.name != "postgresql":
            raise ValueError("PostgresRateLimiter needs PostgreSQL; use InMemoryRateLimiter")
        if limit < 1 or per <= 0:
            raise ValueError("limit must be at least 1 and per positive")
        self._engine = engine
        self.limit = limit
        self.per = per
        self.key = key
        self.max_wait = max_wait
        self._keep_for = timedelta(seconds=max(per, keep_for or 0.0))
        self._sleep = sleep

    async def acquire(self, key: str = "default") -> None:
        stored = f"{self.key}:{key}"
        row_id, wait = await self._reserve(stored)
        try:
            if wait > 0:
                await self._sleep(wait)
        except asyncio.CancelledError:
            await asyncio.shield(self._give_back(row_id))
            raise

    async def _reserve(self, key: str) -> tuple[int, float]:
        events = rate_limit_events.c
        async with self._engine.begin() as conn:
            await conn.execute(_LOCK, {"key": key})
            now: datetime = (await conn.execute(_NOW)).scalar_one()
            await conn.execute(
                sa.delete(rate_limit_events).where(
                    events.key == key, events.at <= now - self._keep_for
                )
            )
            kth = (
                await conn.execute(
                    sa.select(events.at)
                    .where(events.key == key, events.at > now - timedelta(seconds=self.per))
                    .order_by(events.at.desc())
                    .offset(self.limit - 1)
                    .limit(1)
                )
            ).scalar_one_or_none()
            slot = now if kth is None else max(now, kth + timedelta(seconds=self.per))
            wait = (slot - now).total_seconds()
            if self.max_wait is not None and wait > self.max_wait:
                raise ProviderUnavailable(
                    f"rate limit {key!r}: the next slot is {wait:.1f}s away "
                    f"(more than the {self.max_wait:.1f}s allowed)"
                )
            row_id: int = (
                await conn.execute(
                    sa.insert(rate_limit_events).values(key=key, at=slot).returning(events.id)
                )
            ).scalar_one()
        return row_id, wait

    async def _give_back(self, row_id: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(rate_limit_events).where(rate_limit_events.c.id == row_id))


__all__ = ["PostgresRateLimiter"]
