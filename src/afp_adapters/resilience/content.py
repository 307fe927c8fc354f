"""Breaker, retries and a timeout per attempt around the content ports: scraping, script
writing and moderation. Each call is idempotent (it creates nothing that is billed twice in a
way that matters), so failures that may pass are retried in-call, briefly.

Configure the inner OpenAI client with `max_retries=0` so retries are not stacked.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import structlog

from afp_adapters.resilience._call import guarded
from afp_adapters.resilience.breaker import BreakerRegistry, CircuitBreaker
from afp_adapters.resilience.retry import RetryPolicy
from afp_adapters.resilience.timer import SystemTimer, Timer
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Script, ScriptOptions
from afp_core.ports.generation import ContentModerator, ProductScraper, ScriptWriter


class ResilientScriptWriter:
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
        self._inner = inner
        self._breaker = breaker
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._timer = timer or SystemTimer()
        self._log = structlog.get_logger("afp.resilience").bind(provider=breaker.name)

    async def write(self, product: ProductFacts, options: ScriptOptions) -> Sequence[Script]:
        return await guarded(
            lambda: self._inner.write(product, options),
            operation="write_script",
            breaker=self._breaker,
            retry=self._retry,
            seconds=self._timeout,
            timer=self._timer,
            log=self._log,
        )


class ResilientModerator:
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
        self._inner = inner
        self._breaker = breaker
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._timer = timer or SystemTimer()
        self._log = structlog.get_logger("afp.resilience").bind(provider=breaker.name)

    async def flags(self, text: str, image_urls: Sequence[str]) -> Sequence[str]:
        return await guarded(
            lambda: self._inner.flags(text, image_urls),
            operation="moderate",
            breaker=self._breaker,
            retry=self._retry,
            seconds=self._timeout,
            timer=self._timer,
            log=self._log,
        )


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
