"""What the app keeps for its handlers (`app.state.services`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from litestar.connection import ASGIConnection

from afp_bootstrap import Container
from afp_http.options import ApiOptions

if TYPE_CHECKING:  # not a handler module: these only type the fields below
    from afp_http.idempotency import IdempotentResponses
    from afp_http.metrics import Metrics
    from afp_http.ratelimit import SlidingWindowLimiter
    from afp_http.webhooks import CallbackParser


@attrs.define
class Services:
    container: Container
    options: ApiOptions
    limiter: SlidingWindowLimiter
    idempotency: IdempotentResponses
    metrics: Metrics
    kie_callbacks: CallbackParser | None


def services(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    found: Services = connection.app.state.services
    return found


__all__ = ["Services", "services"]
