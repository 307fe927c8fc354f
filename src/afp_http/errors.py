"""Exception handlers: domain errors and Litestar's own refusals become problem details."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import ExceptionHandlersMap

from afp_core.domain.errors import (
    BudgetExceeded,
    ContentBlocked,
    DomainError,
    InsufficientCredits,
    InvalidRows,
    ScrapeBlocked,
)
from afp_http.problems import problem_response
from afp_http.request_ids import current_request_id

log = structlog.get_logger("afp.http")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    503: "not_ready",
}


class RateLimited(HTTPException):
    """Too many requests in the bucket's window; `retry_after` is in whole seconds."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(detail=f"too many requests; retry in {retry_after} s")
        self.retry_after = retry_after


def _extra(error: DomainError) -> dict[str, Any]:
    if isinstance(error, InvalidRows):
        rows = [{"line": e.line, "column": e.column, "message": e.reason} for e in error.errors]
        return {"errors": rows}
    if isinstance(error, ScrapeBlocked):
        return {"next_steps": error.next_steps}
    if isinstance(error, InsufficientCredits):
        return {"needed": error.needed, "available": error.available}
    if isinstance(error, ContentBlocked):
        return {"reasons": list(error.reasons)}
    if isinstance(error, BudgetExceeded):
        return {"needed": error.cost, "budget": error.budget}
    return {}


def domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    return problem_response(
        error.code, error.message, instance=request.url.path, extra=_extra(error)
    )


def _field_errors(extra: object) -> list[dict[str, Any]]:
    items = extra if isinstance(extra, list) else []
    return [
        {"field": item.get("key"), "message": str(item.get("message", ""))}
        for item in items
        if isinstance(item, dict)
    ]


def http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    path = request.url.path
    if isinstance(error, ValidationException):
        return problem_response(
            "validation_error",
            "the request does not match its schema",
            instance=path,
            extra={"errors": _field_errors(error.extra)},
        )
    if isinstance(error, RateLimited):
        return problem_response(
            "rate_limited",
            error.detail,
            instance=path,
            headers={"Retry-After": str(error.retry_after)},
        )
    headers = dict(error.headers or {})
    if isinstance(error, NotFoundException):
        return problem_response("not_found", "no such resource", instance=path)
    if isinstance(error, MethodNotAllowedException):
        detail = f"{request.method} is not allowed here"
        return problem_response("method_not_allowed", detail, instance=path, headers=headers)
    if isinstance(error, RequestEntityTooLarge):
        return problem_response("payload_too_large", "the request body is too large", instance=path)
    if isinstance(error, NotAuthorizedException):
        return problem_response("unauthenticated", error.detail, instance=path)
    if isinstance(error, PermissionDeniedException):
        return problem_response("forbidden", error.detail, instance=path)
    if error.status_code >= 500:
        return internal_error(request, error)
    code = _STATUS_CODES.get(error.status_code, "bad_request")
    return problem_response(
        code, error.detail, instance=path, status=error.status_code, headers=headers
    )


def internal_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.error("http.unhandled", path=request.url.path, exc_info=error)
    return problem_response(
        "internal_error",
        "something went wrong on our side; the request id identifies it in our logs",
        instance=request.url.path,
        extra={"request_id": current_request_id()},
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: domain_error,
    HTTPException: http_error,
    Exception: internal_error,
}

__all__ = ["EXCEPTION_HANDLERS", "RateLimited"]
