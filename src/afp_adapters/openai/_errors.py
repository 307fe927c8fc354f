"""Translate OpenAI SDK failures into AFP's provider errors (the table is in `__init__`)."""

from __future__ import annotations

import openai
import pydantic
import structlog

from afp_core.domain.errors import (
    DomainError,
    ProviderOutOfCredits,
    ProviderRejected,
    ProviderUnavailable,
)

log = structlog.get_logger("afp.openai")

_TRANSIENT_STATUSES = frozenset({408, 409})  # request timeout, conflict: the SDK retries these


def is_out_of_quota(exc: openai.RateLimitError) -> bool:
    """A 429 that is our exhausted quota or billing, not a burst: never worth retrying."""
    return "insufficient_quota" in (exc.code, exc.type)


def translate(exc: Exception, operation: str) -> DomainError:
    """The domain error for a failed `operation` ("script writing", "moderation")."""
    what = f"OpenAI {operation}"
    request_id = getattr(exc, "request_id", None)
    ref = f" (request id {request_id})" if request_id else ""
    match exc:
        case openai.RateLimitError() if is_out_of_quota(exc):
            return ProviderOutOfCredits(f"{what}: our OpenAI quota is exhausted{ref}")
        case openai.RateLimitError():
            return ProviderUnavailable(f"{what}: rate limited, retry later{ref}")
        case openai.APITimeoutError():
            return ProviderUnavailable(f"{what}: timed out")
        case openai.APIConnectionError():
            return ProviderUnavailable(f"{what}: could not reach OpenAI ({exc.message})")
        case openai.AuthenticationError() | openai.PermissionDeniedError():
            return ProviderRejected(
                f"{what}: HTTP {exc.status_code}, our OpenAI configuration is wrong "
                f"(API key, project or model access): {exc.message}{ref}"
            )
        case openai.InternalServerError():
            return ProviderUnavailable(f"{what}: OpenAI server error {exc.status_code}{ref}")
        case openai.APIStatusError() if exc.status_code in _TRANSIENT_STATUSES:
            return ProviderUnavailable(f"{what}: HTTP {exc.status_code}, retry later{ref}")
        case openai.APIStatusError():
            return ProviderRejected(f"{what}: HTTP {exc.status_code}: {exc.message}{ref}")
        case openai.ContentFilterFinishReasonError():
            return ProviderRejected(f"{what}: stopped by OpenAI's content filter")
        case openai.LengthFinishReasonError():
            return ProviderRejected(f"{what}: the answer was cut off at the token limit")
        case pydantic.ValidationError() | openai.APIResponseValidationError():
            return ProviderUnavailable(
                f"{what}: the answer did not match the expected schema, retry: {exc}"
            )
        case _:
            return ProviderUnavailable(f"{what}: {type(exc).__name__}: {exc}")


RECOVERABLE = (openai.OpenAIError, pydantic.ValidationError)
"""What `translate` is for: everything else is a bug and propagates as it is."""


MALFORMED = (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError)
"""What reading a 200 of the wrong shape raises (an HTML page, `{"results": "x"}`, a missing
list...), in the SDK's own post-processing or in ours: the answer, not our request, is broken."""


def malformed(exc: BaseException, operation: str) -> ProviderUnavailable:
    """`ProviderUnavailable` for an answer of the wrong shape, logged: asking again may work."""
    log.warning("openai_answer_malformed", operation=operation, error=type(exc).__name__)
    detail = str(exc)[:200]
    return ProviderUnavailable(
        f"OpenAI {operation}: the answer was not in the expected shape "
        f"({type(exc).__name__}{': ' + detail if detail else ''}); retry"
    )


def failed(exc: Exception, operation: str) -> DomainError:
    """`translate`, logged with the request id for support."""
    error = translate(exc, operation)
    request_id = getattr(exc, "request_id", None)
    log.warning("openai_call_failed", operation=operation, code=error.code, request_id=request_id)
    return error


__all__ = ["MALFORMED", "RECOVERABLE", "failed", "is_out_of_quota", "malformed", "translate"]
