"""The one shape every resilient read takes: retries around (breaker around (timeout))."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from structlog.typing import FilteringBoundLogger

from afp_adapters.resilience.breaker import CircuitBreaker
from afp_adapters.resilience.retry import RetryPolicy
from afp_adapters.resilience.timer import Timer
from afp_core.domain.errors import ProviderUnavailable

T = TypeVar("T")


async def within(seconds: float, fn: Callable[[], Awaitable[T]], what: str) -> T:
    """`await fn()`, a timeout becoming `ProviderUnavailable` (safe for idempotent calls only)."""
    try:
        async with asyncio.timeout(seconds):
            return await fn()
    except TimeoutError as error:
        raise ProviderUnavailable(f"{what} timed out after {seconds:g}s") from error


async def guarded(
    fn: Callable[[], Awaitable[T]],
    *,
    operation: str,
    breaker: CircuitBreaker,
    retry: RetryPolicy,
    seconds: float,
    timer: Timer,
    log: FilteringBoundLogger,
) -> T:
    """Each attempt passes the breaker and has `seconds` to finish; failures that may pass are
    retried per `retry` (never once the breaker is open)."""
    what = f"{breaker.name} {operation}"

    async def attempt() -> T:
        return await breaker.call(lambda: within(seconds, fn, what))

    return await retry.call(attempt, timer=timer, log=log, operation=operation)
