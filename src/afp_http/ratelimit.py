"""An in-memory sliding-window rate limiter and the guards that apply it to routes.

Per process: behind several API processes each enforces its own window (a shared limiter on
PostgreSQL is for later). Buckets are named in `ApiOptions.rate_rules`.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Literal

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from afp_http.errors import RateLimited
from afp_http.options import RateRule
from afp_http.state import services


class SlidingWindowLimiter:
    """Remembers the times of recent hits per key; a hit beyond the rule's limit within its
    window is refused with the seconds until the oldest hit leaves the window."""

    def __init__(
        self, rules: Mapping[str, RateRule], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rules = dict(rules)
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def hit(self, bucket: str, who: str) -> int | None:
        """Record a hit; `None` when allowed, else the whole seconds to wait."""
        rule = self._rules.get(bucket)
        if rule is None:
            return None
        now = self._clock()
        key = f"{bucket}:{who}"
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - rule.window_s:
            hits.popleft()
        if len(hits) >= rule.limit:
            return max(1, math.ceil(hits[0] + rule.window_s - now))
        hits.append(now)
        if len(self._hits) > 100_000:  # forget idle keys now and then
            self._prune(now)
        return None

    def _prune(self, now: float) -> None:
        longest = max((r.window_s for r in self._rules.values()), default=0.0)
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - longest]:
            del self._hits[key]


def _client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.client
    return client.host if client else "unknown"


def rate_limit(bucket: str, *, per: Literal["user", "ip"]) -> Guard:
    """A guard counting the request in `bucket`, per authenticated user or per client IP."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        who = str(connection.user.user_id) if per == "user" else _client_ip(connection)
        wait = services(connection).limiter.hit(bucket, who)
        if wait is not None:
            raise RateLimited(wait)

    return guard


__all__ = ["SlidingWindowLimiter", "rate_limit"]
