"""Breaker, retries and a timeout per attempt around the content ports: scraping, script
writing and moderation. Each call is idempotent (it creates nothing that is billed twice in a
way that matters), so failures that may pass are retried in-call, briefly.

Configure the inner OpenAI client with `max_retries=0` so retries are not stacked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

import structlog

from afp_adapters.resilience._call import guarded
from afp_adapters.resilience.breaker import BreakerRegistry, CircuitBreaker
from afp_adapters.resilience.retry import RetryPolicy
from afp_adapters.resilience.timer import SystemTimer, Timer
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Script, ScriptOptions
from afp_core.ports.generation import ContentModerator, ProductScraper, ScriptWriter

T = TypeVar("T")


class _Guard:
    """One provider's breaker, the retry policy, a per-attempt timeout and a bound logger."""

    def __init__(
        self,
        *,
        breaker: CircuitBreaker,
        retry: RetryPolicy | None,
        timeout: float,
        timer: Timer | None,
    ) -> None:
        self._breaker = breaker
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._timer = timer or SystemTimer()
        self._log = structlog.get_logger("afp.resilience").bind(provider=breaker.name)

    async def _guarded(self, fn: Callable[[], Awaitable[T]], operation: str) -> T:
        return await guarded(
            fn,
            operation=operation,
            breaker=self._breaker,
            retry=self._retry,
            seconds=self._timeout,
            timer=self._timer,
            log=self._log,
        )


class ResilientScriptWriter(_Guard):
    """Implements `ScriptWriter` by decorating another one."""

    def __init__(
        self,
        inner: ScriptWriter,
        *,
        breaker: CircuitBreaker,
        retry: RetryPolicy | None = None,
        timeout: float = 90.0,
        timer: Timer | None = None,
    ) -> None:
        super().__init__(breaker=breaker, retry=retry, timeout=timeout, timer=timer)
        self._inner = inner

    async def write(self, product: ProductFacts, options: ScriptOptions) -> Sequence[Script]:
        return await self._guarded(lambda: self._inner.write(product, options), "write_script")


class ResilientModerator(_Guard):
    """Implements `ContentModerator` by decorating another one."""

    def __init__(
        self,
        inner: ContentModerator,
        *,
        breaker: CircuitBreaker,
        retry: RetryPolicy | None = None,
        timeout: float = 20.0,
        timer: Timer | None = None,
    ) -> None:
        super().__init__(breaker=breaker, retry=retry, timeout=timeout, timer=timer)
        self._inner = inner

    async def flags(self, text: str, image_urls: Sequence[str]) -> Sequence[str]:
        return await self._guarded(lambda: self._inner.flags(text, image_urls), "moderate")


class ResilientScraper:
    """Implements `ProductScraper` by decorating another one. Every shop is its own provider:
    the breaker is `breakers.get(f"{name}:{host}")`, so one shop that is down blocks only
    itself."""

    def __init__(
        self,
        inner: ProductScraper,
        *,
        breakers: BreakerRegistry,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        timer: Timer | None = None,
        name: str = "scrape",
    ) -> None:
        self._inner = inner
        self._breakers = breakers
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._timer = timer or SystemTimer()
        self._name = name

    async def scrape(self, url: str) -> ProductFacts:
        host = (urlsplit(url).hostname or "unknown").removeprefix("www.")
        breaker = self._breakers.get(f"{self._name}:{host}")
        return await guarded(
            lambda: self._inner.scrape(url),
            operation="scrape",
            breaker=breaker,
            retry=self._retry,
            seconds=self._timeout,
            timer=self._timer,
            log=structlog.get_logger("afp.resilience").bind(provider=breaker.name),
        )


__all__ = ["ResilientModerator", "ResilientScraper", "ResilientScriptWriter"]
