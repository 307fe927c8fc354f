"""Request ids and access logs: one ASGI wrapper around the whole app (404s and 405s included).

`X-Request-ID` is taken from the request when it is a sane token, else generated; it is sent
back on every answer and bound (structlog contextvars) on every log line of the request.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_request_id: ContextVar[str | None] = ContextVar("afp_request_id", default=None)
log = structlog.get_logger("afp.http")

Observe = Callable[[str, str, int, float], None]  # method, route template, status, seconds


def current_request_id() -> str | None:
    return _request_id.get()


def _incoming_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == HEADER.encode():
            text = value.decode("latin-1").strip()
            if _SANE.match(text):
                return text
    return uuid.uuid4().hex


class RequestObserver:
    """Binds the request id, adds it to the answer, logs one `http.request` line and reports
    method, route template, status and duration to `observe` (the metrics)."""

    def __init__(self, app: ASGIApp, observe: Observe) -> None:
        self._app = app
        self._observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        request_id = _incoming_id(scope)
        token = _request_id.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers") or [])
                headers.append((HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self._app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "<unmatched>"
            method = str(scope.get("method", ""))
            self._observe(method, route, status, elapsed)
            log.info(
                "http.request",
                method=method,
                path=scope.get("path"),
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")
            _request_id.reset(token)


__all__ = ["HEADER", "RequestObserver", "current_request_id"]
