"""`RetryPolicy`: the short, in-call retry layer (a few seconds at most).

Longer waits belong to the job-level retry of the use cases (`SubmitVideo` reschedules its
job). Only `ProviderUnavailable` is retried, and never `ProviderOutcomeUnknown` (the call may
have created something that is already billed) nor `CircuitOpen` (the breaker said stop).
Backoff is exponential with full jitter: retry n sleeps `uniform(0, min(cap, base * 2**(n-1)))`.
Built on tenacity's `AsyncRetrying`, with the sleep, the budget and the random source injected.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs
from structlog.typing import FilteringBoundLogger
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from afp_adapters.resilience.breaker import CircuitOpen
from afp_adapters.resilience.timer import Timer
from afp_core.domain.errors import ProviderOutcomeUnknown, ProviderUnavailable

T = TypeVar("T")


class Jitter(enum.StrEnum):
    FULL = "full"  # uniform(0, ceiling): spreads a crowd of clients best (AWS "full jitter")
    NONE = "none"  # the ceiling itself: deterministic, for tests and single clients


def is_retryable(error: BaseException) -> bool:
    """A failure that may pass and cannot have had an effect at the provider."""
    return (
        isinstance(error, ProviderUnavailable)
        and not isinstance(error, ProviderOutcomeUnknown)
        and not isinstance(error, CircuitOpen)
    )


def _not_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value}")


@attrs.frozen
class RetryPolicy:
    """At most `attempts` calls in all, and none starting later than `budget` seconds after
    the first one started (attempts and sleeps count). `rng` is the random source (seed it in
    tests)."""

    attempts: int = attrs.field(default=3, validator=attrs.validators.ge(1))
    base: float = attrs.field(default=0.5, validator=_not_negative)
    cap: float = attrs.field(default=4.0, validator=_not_negative)
    jitter: Jitter = Jitter.FULL
    budget: float = attrs.field(default=20.0, validator=_not_negative)
    rng: random.Random = attrs.field(factory=random.Random, eq=False, repr=False)

    def should_retry(self, error: BaseException) -> bool:
        return is_retryable(error)

    def ceiling(self, retry: int) -> float:
        """The longest sleep before retry number `retry` (1 = the first retry)."""
        return min(self.cap, self.base * 2.0 ** (retry - 1))

    def delay(self, retry: int) -> float:
        """The sleep before retry number `retry`, drawn from the jitter window."""
        ceiling = self.ceiling(retry)
        return self.rng.uniform(0.0, ceiling) if self.jitter is Jitter.FULL else ceiling

    async def call(
        self,
        fn: Callable[[], Awaitable[T]],
        *,
        timer: Timer,
        log: FilteringBoundLogger | None = None,
        operation: str = "call",
    ) -> T:
        """`await fn()`, retried per this policy; the last error is raised unchanged."""
        start = timer.monotonic()

        def out_of_tries(state: RetryCallState) -> bool:
            if state.attempt_number >= self.attempts:
                return True
            return timer.monotonic() - start + state.upcoming_sleep > self.budget

        def before_sleep(state: RetryCallState) -> None:
            if log is None or state.outcome is None:
                return
            error = state.outcome.exception()
            log.info(
                "provider.retry",
                operation=operation,
                attempt=state.attempt_number,
                delay=round(state.upcoming_sleep, 3),
                error=getattr(error, "code", type(error).__name__),
                reason=str(error)[:200],
            )

        async def attempt() -> T:  # tenacity awaits only what a coroutine function returns
            return await fn()

        retrying = AsyncRetrying(
            sleep=timer.sleep,
            stop=out_of_tries,
            wait=lambda state: self.delay(state.attempt_number),
            retry=retry_if_exception(self.should_retry),
            before_sleep=before_sleep,
            reraise=True,
        )
        return await retrying(attempt)


__all__ = ["Jitter", "RetryPolicy", "is_retryable"]
