"""RFC 9457 problem details: one table from error codes to HTTP answers.

Every error the API returns is `application/problem+json` with `type`, `title`, `status`,
`detail`, `code` and `instance` (the request path); some codes add fields (`errors`,
`next_steps`, `needed`/`available`, `reasons`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from litestar import Response
from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://afp.dev/problems/"
PROVIDER_RETRY_AFTER_S = 30


@attrs.frozen
class ProblemKind:
    status: int
    title: str


PROBLEMS: Mapping[str, ProblemKind] = {
    "validation_error": ProblemKind(422, "The request is not valid"),
    "not_found": ProblemKind(404, "Not found"),
    "method_not_allowed": ProblemKind(405, "Method not allowed"),
    "insufficient_credits": ProblemKind(402, "Not enough credits"),
    "account_in_debt": ProblemKind(402, "The account is in debt"),
    "budget_exceeded": ProblemKind(422, "Over the batch's budget"),
    "idempotency_conflict": ProblemKind(409, "Idempotency key reused with another request"),
    "conflict": ProblemKind(409, "Conflict with the current state"),
    "illegal_transition": ProblemKind(409, "Not possible in the current state"),
    "hold_not_open": ProblemKind(409, "The credit reservation has ended"),
    "over_capture": ProblemKind(409, "More than the reservation holds"),
    "reconnect_required": ProblemKind(409, "Connect the platform account again"),
    "content_blocked": ProblemKind(422, "The content is blocked"),
    "blocked_url": ProblemKind(422, "This URL may not be fetched"),
    "scrape_blocked": ProblemKind(422, "The shop blocked the scrape"),
    "invalid_signature": ProblemKind(401, "The signature does not verify"),
    "unauthenticated": ProblemKind(401, "Authentication required"),
    "forbidden": ProblemKind(403, "Forbidden"),
    "payload_too_large": ProblemKind(413, "The request body is too large"),
    "rate_limited": ProblemKind(429, "Too many requests"),
    "provider_unavailable": ProblemKind(503, "A provider is unavailable"),
    "provider_outcome_unknown": ProblemKind(503, "A provider is unavailable"),
    "provider_out_of_credits": ProblemKind(503, "A provider is unavailable"),
    "provider_account_blocked": ProblemKind(503, "A provider is unavailable"),
    "provider_rejected": ProblemKind(502, "A provider refused the request"),
    "internal_error": ProblemKind(500, "Internal error"),
    "bad_request": ProblemKind(400, "Bad request"),
    "not_configured": ProblemKind(503, "Not configured on this server"),
    "not_ready": ProblemKind(503, "Not ready"),
}
_PROVIDER = ProblemKind(503, "A provider is unavailable")
_OTHER = ProblemKind(400, "Bad request")


def kind_of(code: str) -> ProblemKind:
    """The status and title for a code; `provider_rejected` (an upstream refusal) is a 502,
    every other `provider_*` code a 503 (with `Retry-After`)."""
    if code in PROBLEMS:
        return PROBLEMS[code]
    if code.startswith("provider_"):
        return _PROVIDER
    return _OTHER


class FieldError(BaseModel):
    """One invalid field (`field` is a dotted path) or CSV row (`line`, `column`)."""

    field: str | None = None
    line: int | None = None
    column: str | None = None
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(examples=[f"{TYPE_BASE}not_found"])
    title: str
    status: int
    detail: str
    code: str = Field(description="A stable machine code, e.g. `insufficient_credits`")
    instance: str | None = None
    errors: list[FieldError] | None = None
    next_steps: str | None = None
    request_id: str | None = None


def problem_response(
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    kind = kind_of(code)
    status = status or kind.status
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": kind.title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    body.update(extra or {})
    out_headers = dict(headers or {})
    if code == "unauthenticated":
        out_headers.setdefault("WWW-Authenticate", "Bearer")
    if status == 503 and code.startswith("provider_"):
        out_headers.setdefault("Retry-After", str(PROVIDER_RETRY_AFTER_S))
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=out_headers)


__all__ = [
    "PROBLEMS",
    "PROBLEM_MEDIA_TYPE",
    "TYPE_BASE",
    "FieldError",
    "Problem",
    "ProblemKind",
    "kind_of",
    "problem_response",
]
