"""`Timer`: the time the resilience adapters read and sleep on, so tests can drive it.

`SystemTimer` is the real one (`time.monotonic`, `asyncio.sleep`). `ManualTimer` is virtual
time for tests: with `autojump=True` every sleep moves the clock at once (sequential code);
with `autojump=False` sleepers wait until `advance()` or `run()` moves the clock, so
concurrent tasks wake in deadline order at exactly their deadline.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol


class Timer(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (its origin means nothing)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Suspend the caller for `seconds` (no-op wait for zero or less)."""
        ...


class SystemTimer:
    """Implements `Timer` with the process's monotonic clock and the event loop."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualTimer:
    """Implements `Timer` on virtual time. Inspect `.now` and `.sleeps` (every requested sleep)."""

    _SETTLE_SPINS = 10_000

    def __init__(self, start: float = 0.0, *, autojump: bool = True) -> None:
        self.now = start
        self.autojump = autojump
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.autojump or seconds <= 0:
            self.now += max(0.0, seconds)
            await asyncio.sleep(0)
            return
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), wake))
        await wake  # a cancelled sleeper stays in the heap, done, and is skipped when due

    @property
    def sleeping(self) -> int:
        """How many callers are waiting for the clock to move."""
        return sum(1 for _, _, wake in self._sleepers if not wake.done())

    def advance(self, seconds: float) -> None:
        """Move the clock forward, waking every sleeper that falls due, earliest first."""
        target = self.now + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            self._wake_next()
        self.now = max(self.now, target)

    async def run(self, *aws: Awaitable[Any]) -> list[Any]:
        """Run `aws` concurrently to the end, jumping to the next deadline whenever every one
        of them is asleep on this timer. Raises `RuntimeError` if they block on anything else."""
        tasks = [asyncio.ensure_future(aw) for aw in aws]
        try:
            while not all(task.done() for task in tasks):
                await self._settle(tasks)
                if self._sleepers:
                    self._wake_next()
            return [task.result() for task in tasks]
        finally:
            for task in tasks:
                task.cancel()

    async def _settle(self, tasks: Sequence[asyncio.Future[Any]]) -> None:
        for _ in range(self._SETTLE_SPINS):
            await asyncio.sleep(0)
            running = sum(1 for task in tasks if not task.done())
            if running in (0, self.sleeping):
                return
        raise RuntimeError("tasks are blocked on something other than the manual timer")

    def _wake_next(self) -> None:
        deadline, _, wake = heapq.heappop(self._sleepers)
        if wake.done():  # cancelled while asleep
            return
        self.now = max(self.now, deadline)
        wake.set_result(None)


__all__ = ["ManualTimer", "SystemTimer", "Timer"]
