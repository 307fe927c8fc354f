"""Resilience as decorators around the provider ports: timeouts, in-call retries with full
jitter, circuit breakers (one per provider, with snapshots for the admin API) and rate limits.

Compose a Kie generator (one breaker shared by submit, status and download)::

    breakers = BreakerRegistry()
    kie = ResilientVideoGenerator(
        KieVideoGenerator(...),
        breaker=breakers.get("kie"),
        limiter=PostgresRateLimiter(engine, limit=20, per=10.0, key="kie", max_wait=60.0),
        retry=RetryPolicy(attempts=3, base=0.5, cap=4.0),
        timeouts=VideoTimeouts(submit=45.0, status=40.0, download=300.0),
    )

On SQLite (a single worker) use `InMemoryRateLimiter(20, 10.0, max_wait=60.0)` instead.
`breakers.snapshots()` feeds the admin API.
"""

from afp_adapters.resilience.breaker import (
    BreakerRegistry,
    BreakerSnapshot,
    BreakerState,
    CircuitBreaker,
    CircuitOpen,
)
from afp_adapters.resilience.content import (
    ResilientModerator,
    ResilientScraper,
    ResilientScriptWriter,
)
from afp_adapters.resilience.rate_limit import InMemoryRateLimiter, RateLimiter
from afp_adapters.resilience.retry import Jitter, RetryPolicy, is_retryable
from afp_adapters.resilience.timer import ManualTimer, SystemTimer, Timer
from afp_adapters.resilience.video import ResilientVideoGenerator, VideoTimeouts

__all__ = [
    "BreakerRegistry",
    "BreakerSnapshot",
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpen",
    "InMemoryRateLimiter",
    "Jitter",
    "ManualTimer",
    "RateLimiter",
    "ResilientModerator",
    "ResilientScraper",
    "ResilientScriptWriter",
    "ResilientVideoGenerator",
    "RetryPolicy",
    "SystemTimer",
    "Timer",
    "VideoTimeouts",
    "is_retryable",
]
