"""`RateLimiter`: at most `limit` acquisitions in any window of `per` seconds, per key.

Both limiters reserve instead of polling: an acquisition takes the instant
`max(now, t_k + per)`, where `t_k` is the `limit`-th latest acquisition recorded, records it
at once and sleeps until then. Fewer than `limit` recorded acquisitions lie after
`slot - per`, so no window holding the new slot can overflow, whatever else was recorded or
given back. Callers are served first come, first served, and nobody wakes up to find the slot
taken. A reservation further away than `max_wait` is refused with `ProviderUnavailable` (the
job-level retry comes back later); a cancelled wait gives its slot back.
`afp_adapters.sql.rate_limiter.PostgresRateLimiter` does the same across worker processes.
"""

from __future__ import annotations

import asyncio
import bisect
from typing import Protocol

from afp_adapters.resilience.timer import SystemTimer, Timer
from afp_core.domain.errors import ProviderUnavailable


class RateLimiter(Protocol):
    async def acquire(self, key: str = "default") -> None:
        """Wait until a slot for `key` is free and take it. `ProviderUnavailable` when the
        wait would be longer than the limiter allows."""
        ...


class InMemoryRateLimiter:
    """Implements `RateLimiter` for one process (exact sliding window on `timer`)."""

    def __init__(
        self,
        limit: int = 20,
        per: float = 10.0,
        *,
        max_wait: float | None = None,
        timer: Timer | None = None,
    ) -> None:
        if limit < 1 or per <= 0:
            raise ValueError("limit must be at least 1 and per positive")
        self.limit = limit
        self.per = per
        self.max_wait = max_wait
        self._timer = timer or SystemTimer()
        self._granted: dict[str, list[float]] = {}  # sorted acquisition times, per key

    async def acquire(self, key: str = "default") -> None:
        granted = self._granted.setdefault(key, [])
        now = self._timer.monotonic()
        stale = 0
        while stale < len(granted) and granted[stale] + self.per <= now:
            stale += 1  # its window has passed (t + per computed as `slot` is, below)
        del granted[:stale]
        slot = now if len(granted) < self.limit else max(now, granted[-self.limit] + self.per)
        wait = slot - now
        if self.max_wait is not None and wait > self.max_wait:
            raise ProviderUnavailable(
                f"rate limit {key!r}: the next slot is {wait:.1f}s away "
                f"(more than the {self.max_wait:.1f}s allowed)"
            )
        bisect.insort(granted, slot)  # after a give-back, slot may fall before a later one
        try:
            while (wait := slot - self._timer.monotonic()) > 0:
                await self._timer.sleep(wait)
        except asyncio.CancelledError:
            self._give_back(granted, slot)
            raise

    @staticmethod
    def _give_back(granted: list[float], slot: float) -> None:
        index = bisect.bisect_left(granted, slot)
        if index < len(granted) and granted[index] == slot:
            del granted[index]


__all__ = ["InMemoryRateLimiter", "RateLimiter"]
