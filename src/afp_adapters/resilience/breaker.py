"""`CircuitBreaker`: stop calling a provider that keeps failing, probe it again later.

CLOSED counts consecutive `ProviderUnavailable` failures (those older than `window` seconds
drop out); at `failure_threshold` it goes OPEN and refuses every call at once with
`CircuitOpen` (a `ProviderUnavailable`, so the job-level retry comes back later). After
`reset_timeout` it is HALF_OPEN: up to `half_open_max_calls` probes go through; a success
closes it, a failure opens it again.

Any other answer from the provider — a rejection, an empty account, a domain verdict — proves
it is reachable, so it counts as a success: rejections are the caller's problem, never a
reason to trip. Errors that are not domain errors (bugs, cancellation) count as nothing.
"""

from __future__ import annotations

import enum
import functools
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs
import structlog

from afp_adapters.resilience.timer import SystemTimer, Timer
from afp_core.domain.errors import DomainError, ProviderUnavailable

T = TypeVar("T")


class CircuitOpen(ProviderUnavailable):
    """The breaker refused the call without trying it."""

    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(f"{name} circuit open, retry after {retry_after:.1f}s")
        self.retry_after = retry_after


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@attrs.frozen
class BreakerSnapshot:
    """What the admin API shows. `opened_at` is on the breaker's monotonic timer;
    `retry_after` is how many seconds are left before probes are let through (0 when due)."""

    name: str
    state: BreakerState
    failures: int
    opened_at: float | None
    retry_after: float | None


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        window: float = 60.0,
        reset_timeout: float = 30.0,
        half_open_max_calls: int = 1,
        timer: Timer | None = None,
    ) -> None:
        if failure_threshold < 1 or half_open_max_calls < 1:
            raise ValueError("failure_threshold and half_open_max_calls must be at least 1")
        if window <= 0 or reset_timeout < 0:
            raise ValueError("window must be positive and reset_timeout not negative")
        self.name = name
        self.failure_threshold = failure_threshold
        self.window = window
        self.reset_timeout = reset_timeout
        self.half_open_max_calls = half_open_max_calls
        self._timer = timer or SystemTimer()
        self._state = BreakerState.CLOSED
        self._failures: deque[float] = deque()  # times of the current run of failures
        self._opened_at: float | None = None
        self._probes = 0  # probes in flight while HALF_OPEN
        self._log = structlog.get_logger("afp.resilience").bind(provider=name)

    @property
    def state(self) -> BreakerState:
        self._refresh()
        return self._state

    def snapshot(self) -> BreakerSnapshot:
        self._refresh()
        if self._state is BreakerState.CLOSED:
            self._forget_old_failures()
        retry_after = None
        if self._state is BreakerState.OPEN:
            retry_after = self._retry_after()
        elif self._state is BreakerState.HALF_OPEN:
            retry_after = 0.0
        return BreakerSnapshot(
            self.name, self._state, len(self._failures), self._opened_at, retry_after
        )

    def check(self) -> None:
        """Raise `CircuitOpen` if a call would be refused now; admits nothing. Lets a caller
        fail fast before spending something else (a rate-limit slot) on a doomed call."""
        self._refresh()
        if self._state is BreakerState.OPEN:
            raise CircuitOpen(self.name, self._retry_after())
        if self._state is BreakerState.HALF_OPEN and self._probes >= self.half_open_max_calls:
            raise CircuitOpen(self.name, 0.0)

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """`await fn()` if the breaker lets it through, and learn from its outcome."""
        self.check()
        probe = self._state is BreakerState.HALF_OPEN
        if probe:
            self._probes += 1
        try:
            result = await fn()
        except CircuitOpen:
            self._settle(probe, None)
            raise
        except ProviderUnavailable:
            self._settle(probe, failed=True)
            raise
        except DomainError:
            self._settle(probe, failed=False)
            raise
        except BaseException:
            self._settle(probe, None)
            raise
        self._settle(probe, failed=False)
        return result

    # ------------------------------------------------------------------ transitions
    def _settle(self, probe: bool, failed: bool | None) -> None:
        if probe:
            self._probes -= 1
        if failed is None:
            return
        if self._state is BreakerState.HALF_OPEN:
            if not probe:  # a slow call from before the breaker opened says nothing now
                return
            if failed:
                self._open(self._timer.monotonic())
            else:
                self._close()
        elif self._state is BreakerState.CLOSED:
            if failed:
                self._record_failure()
            else:
                self._failures.clear()
        # OPEN: late outcomes of calls admitted before it opened change nothing

    def _record_failure(self) -> None:
        now = self._timer.monotonic()
        self._failures.append(now)
        self._forget_old_failures()
        if len(self._failures) >= self.failure_threshold:
            self._open(now)

    def _forget_old_failures(self) -> None:
        horizon = self._timer.monotonic() - self.window
        while self._failures and self._failures[0] <= horizon:
            self._failures.popleft()

    def _open(self, now: float) -> None:
        previous = self._state
        self._state = BreakerState.OPEN
        self._opened_at = now
        self._log.warning(
            "breaker.opened",
            previous=previous.value,
            failures=len(self._failures),
            retry_after=self.reset_timeout,
        )

    def _close(self) -> None:
        self._state = BreakerState.CLOSED
        self._opened_at = None
        self._failures.clear()
        self._log.info("breaker.closed")

    def _refresh(self) -> None:
        if self._state is BreakerState.OPEN and self._retry_after() <= 0:
            self._state = BreakerState.HALF_OPEN
            self._probes = 0
            self._log.info("breaker.half_open")

    def _retry_after(self) -> float:
        opened_at = self._opened_at if self._opened_at is not None else self._timer.monotonic()
        return max(0.0, opened_at + self.reset_timeout - self._timer.monotonic())


class BreakerRegistry:
    """One breaker per provider name, made on first use with the registry's settings."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        window: float = 60.0,
        reset_timeout: float = 30.0,
        half_open_max_calls: int = 1,
        timer: Timer | None = None,
    ) -> None:
        self._make = functools.partial(
            CircuitBreaker,
            failure_threshold=failure_threshold,
            window=window,
            reset_timeout=reset_timeout,
            half_open_max_calls=half_open_max_calls,
            timer=timer or SystemTimer(),
        )
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, name: str) -> CircuitBreaker:
        breaker = self._breakers.get(name)
        if breaker is None:
            breaker = self._breakers[name] = self._make(name)
        return breaker

    def snapshots(self) -> tuple[BreakerSnapshot, ...]:
        """Every breaker's state, by name."""
        return tuple(self._breakers[name].snapshot() for name in sorted(self._breakers))


__all__ = [
    "BreakerRegistry",
    "BreakerSnapshot",
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpen",
]
