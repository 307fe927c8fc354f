"""`ResilientVideoGenerator`: rate limit, breaker, retries and timeouts around a `VideoGenerator`.

`submit` creates (and bills) a render, so it is tried ONCE: a free breaker, then a rate-limit
slot (Kie: 20 creations per 10 s per account), then the call within `timeouts.submit`. A
timeout there may come after the provider took the request, so it becomes
`ProviderOutcomeUnknown`, which nothing retries. `status` and `download` are idempotent reads:
breaker, retries and a timeout per attempt. All three share the provider's breaker.
"""

from __future__ import annotations

import asyncio

import attrs
import structlog

from afp_adapters.resilience._call import guarded
from afp_adapters.resilience.breaker import CircuitBreaker
from afp_adapters.resilience.rate_limit import RateLimiter
from afp_adapters.resilience.retry import RetryPolicy
from afp_adapters.resilience.timer import SystemTimer, Timer
from afp_core.domain.errors import ProviderOutcomeUnknown
from afp_core.ports.generation import TaskStatus, VideoGenerator, VideoRequest


@attrs.frozen
class VideoTimeouts:
    """Seconds each call may take in all (connect, send, wait, read). A backstop: keep them above
    the inner adapter's own per-phase HTTP timeouts, which classify failures more precisely."""

    submit: float = 45.0
    status: float = 40.0
    download: float = 300.0


class ResilientVideoGenerator:
    """Implements `VideoGenerator` by decorating another one."""

    def __init__(
        self,
        inner: VideoGenerator,
        *,
        breaker: CircuitBreaker,
        limiter: RateLimiter,
        retry: RetryPolicy | None = None,
        timeouts: VideoTimeouts | None = None,
        timer: Timer | None = None,
        limit_key: str = "create",
    ) -> None:
        self._inner = inner
        self._breaker = breaker
        self._limiter = limiter
        self._retry = retry or RetryPolicy()
        self._timeouts = timeouts or VideoTimeouts()
        self._timer = timer or SystemTimer()
        self._limit_key = limit_key
        self._log = structlog.get_logger("afp.resilience").bind(provider=breaker.name)

    async def submit(self, request: VideoRequest) -> str:
        self._breaker.check()  # an open breaker should not spend a rate-limit slot
        await self._limiter.acquire(self._limit_key)
        return await self._breaker.call(lambda: self._submit_once(request))

    async def _submit_once(self, request: VideoRequest) -> str:
        seconds = self._timeouts.submit
        try:
            async with asyncio.timeout(seconds):
                return await self._inner.submit(request)
        except TimeoutError as error:
            self._log.warning("provider.outcome_unknown", operation="submit", timeout=seconds)
            raise ProviderOutcomeUnknown(
                f"{self._breaker.name} did not confirm the render within {seconds:g}s; "
                "it may have been created"
            ) from error

    async def status(self, task_id: str) -> TaskStatus:
        return await guarded(
            lambda: self._inner.status(task_id),
            operation="status",
            breaker=self._breaker,
            retry=self._retry,
            seconds=self._timeouts.status,
            timer=self._timer,
            log=self._log,
        )

    async def download(self, result_url: str) -> bytes:
        return await guarded(
            lambda: self._inner.download(result_url),
            operation="download",
            breaker=self._breaker,
            retry=self._retry,
            seconds=self._timeouts.download,
            timer=self._timer,
            log=self._log,
        )


__all__ = ["ResilientVideoGenerator", "VideoTimeouts"]
