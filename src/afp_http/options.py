"""`ApiOptions`: the HTTP driver's own knobs (limits, body sizes), with safe defaults."""

from __future__ import annotations

from collections.abc import Mapping

import attrs


@attrs.frozen
class RateRule:
    """At most `limit` requests per `window_s` seconds (a sliding window)."""

    limit: int
    window_s: float


DEFAULT_RATE_RULES: Mapping[str, RateRule] = {
    # per user: the routes that spend provider money or credits
    "generate": RateRule(30, 60.0),
    "video": RateRule(10, 60.0),
    "bulk": RateRule(5, 60.0),
    "checkout": RateRule(10, 60.0),
    # per client IP: the routes that check passwords
    "auth": RateRule(20, 60.0),
}


@attrs.frozen
class ApiOptions:
    """Limits of the HTTP API. `rate_rules` maps a bucket name to its rule."""

    max_body_bytes: int = 1_048_576  # JSON bodies; the bulk CSV upload raises its own cap
    rate_rules: Mapping[str, RateRule] = attrs.field(factory=lambda: dict(DEFAULT_RATE_RULES))
    idempotency_ttl_s: float = 24 * 3600.0
    run_worker: bool = False  # run the job worker inside the app (`afp serve --demo`)
    title: str = "AFP API"
    version: str = "0.1.0"


__all__ = ["DEFAULT_RATE_RULES", "ApiOptions", "RateRule"]
