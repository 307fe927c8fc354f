"""Kie.ai's `{code, msg|message, data}` envelope and how its error codes map to domain errors.

Errors arrive both ways: as HTTP 200 with a non-200 body `code` (401 and 429 were seen live) and
as real non-2xx answers, often with an HTML or text body (doc § 1, § 6). The body code wins when
there is one.

Three readings, one per kind of call:

* `create_error` (the create call, which bills): once the request may have reached Kie, only a
  clear refusal may be retried; anything unclear is `ProviderOutcomeUnknown`.
* `read_error` (record queries, link re-issues): a read is repeatable, so everything that is not
  Kie's own JSON refusal is `ProviderUnavailable`, including our account's problems (the core
  keeps polling until the video's deadline while an admin fixes the key).
* `classify` (the credit balance): Kie's JSON code as it is, our account's problems included.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import httpx

from afp_core.domain.errors import (
    DomainError,
    ProviderAccountBlocked,
    ProviderOutcomeUnknown,
    ProviderOutOfCredits,
    ProviderRejected,
    ProviderUnavailable,
)

_POLICY_WORDS = (
    "policy",
    "policies",
    "prohibited",
    "flagged",
    "unsafe",
    "violat",
    "moderation",
    "sensitive",
    "nsfw",
)
_DISGUISED_VALIDATION = ("required", "invalid", "must be", "not supported", "format")
_NOT_FOUND = ("recordinfo is null", "record is null", "record not found", "task not found")
# Kie's own "not now" refusals: nothing was created, asking again later is safe
_RETRY_LATER = (429, 455)
# Cloudflare answers proving the origin was never reached (down, unreachable, TLS failed)
_ORIGIN_NEVER_REACHED = (521, 522, 523, 525, 526)
# Our account's problems (not the video's): a wrong or revoked key, Cloudflare's 1010, credits
_ACCOUNT_CODES = (401, 402, 403, 433)


def looks_like_policy(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _POLICY_WORDS)


def is_not_found(code: int, message: str) -> bool:
    """Kie's answer for a task id it does not know (yet): body code 422 "recordInfo is null"
    on jobs, "record is null" on Veo, or a plain 404 code."""
    lowered = message.lower()
    return code == 404 or (code == 422 and any(text in lowered for text in _NOT_FOUND))


@attrs.frozen
class Envelope:
    """One answer from the API, however it was shaped."""

    http_status: int
    code: int
    message: str
    data: Any
    is_json: bool

    @property
    def ok(self) -> bool:
        return self.is_json and self.code == 200

    def error(self, action: str) -> DomainError:
        return classify(self.code, self.message, action=action)


def as_int(value: object) -> int | None:
    """An integer code from an int, an integral float or a digit string ("500")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def read_envelope(response: httpx.Response) -> Envelope:
    """Unwrap an API answer. A missing body code takes the HTTP status's place."""
    status = response.status_code
    try:
        payload = json.loads(response.content) if response.content else None
    except (ValueError, RecursionError):  # not JSON, bad UTF-8, or nested beyond the stack
        payload = None
    if not isinstance(payload, dict):
        text = response.text.strip()[:200] if response.content else ""
        return Envelope(status, status, text or response.reason_phrase, None, is_json=False)
    code = as_int(payload.get("code"))
    message = payload.get("msg") or payload.get("message") or ""
    if code is None or (status >= 300 and code == 200):
        code = status
    shown = message if isinstance(message, str) else ""
    return Envelope(status, code, shown[:500], payload.get("data"), is_json=True)


def account_problem(code: int, message: str) -> str | None:
    """What is wrong with our Kie.ai account, for the codes that say so; else None."""
    if code in (401, 403):
        if "1010" in message:
            return (
                "Cloudflare in front of Kie.ai refused the request (error 1010, usually the "
                "User-Agent); a configuration problem on our side, not the API key"
            )
        return (
            "Kie.ai refused our API key; a configuration problem on our side (check "
            "AFP_KIE_API_KEY and the key's IP allow-list), not a problem of this video"
        )
    if code == 402:
        return "our Kie.ai account is out of credits; top it up"
    if code == 433:
        return "the API key's usage cap is exhausted; raise it on kie.ai/api-key"
    return None


def _said(code: int, message: str, action: str) -> str:
    return f"Kie.ai could not {action} ({code}: {message or 'no message'})"


def _account_error(code: int, message: str, action: str) -> DomainError | None:
    problem = account_problem(code, message)
    if problem is None:
        return None
    kind = ProviderOutOfCredits if code == 402 else ProviderAccountBlocked
    return kind(f"{_said(code, message, action)}: {problem}")


def classify(code: int, message: str, *, action: str) -> DomainError:
    """The domain error for a non-200 code. `action` names the call, e.g. "create the task"."""
    said = _said(code, message, action)
    lowered = message.lower()
    account = _account_error(code, message, action)
    if account is not None:
        return account
    if code in (408, 429, 455) or (code >= 500 and code not in (501, 505)):
        if code == 500 and any(word in lowered for word in _DISGUISED_VALIDATION):
            return ProviderRejected(f"{said}: a validation error dressed as a server error")
        return ProviderUnavailable(said)
    if code == 422 and ("page does not exist" in lowered or "not published" in lowered):
        return ProviderRejected(
            f"{said}: Kie.ai does not know the model id; check the Kie model configuration"
        )
    if looks_like_policy(message):
        return ProviderRejected(f"{said}: refused by content policy")
    if 400 <= code < 600:  # 400, 404, 422, 451, 501, 505 and the other 4xx: not worth repeating
        return ProviderRejected(said)
    return ProviderUnavailable(f"{said}: unexpected answer")


def create_error(envelope: Envelope, *, action: str) -> DomainError:
    """The domain error for a create call's answer that is not a success.

    The request reached something, so a task may exist (and be billed) unless the answer is a
    clear refusal: our account's problems (`ProviderAccountBlocked` / `ProviderOutOfCredits`:
    pause), Kie's "not now" (429, 455) or a Cloudflare page proving Kie was never reached
    (`ProviderUnavailable`: retry), Kie's JSON refusals of the input (`ProviderRejected`), or a
    4xx from something in front of Kie (`ProviderRejected`). Anything else is
    `ProviderOutcomeUnknown`, which is never repeated blindly."""
    code, status, message = envelope.code, envelope.http_status, envelope.message
    said = _said(code, message, action)
    account = _account_error(code, message, action)
    if account is not None:
        return account
    if code in _RETRY_LATER:
        return ProviderUnavailable(f"{said}: refused for now, nothing was created")
    if not envelope.is_json:
        if status in _ORIGIN_NEVER_REACHED:
            return ProviderUnavailable(
                f"{said}: the gateway in front of Kie.ai never reached it, nothing was created"
            )
        if 400 <= status < 500 and status != 408:
            where = " (check the Kie.ai base URL)" if status == 404 else ""
            return ProviderRejected(f"{said}: refused before reaching Kie.ai{where}")
        return ProviderOutcomeUnknown(
            f"{said}: an unexpected HTTP {status} answer that is not Kie's JSON after the "
            "request was sent; the task may exist, so it must not be created again blindly"
        )
    lowered = message.lower()
    disguised = code == 500 and any(word in lowered for word in _DISGUISED_VALIDATION)
    if code == 408 or code < 400 or (code >= 500 and code not in (501, 505) and not disguised):
        return ProviderOutcomeUnknown(
            f"{said}: Kie.ai may have created the task before failing, so it must not be "
            "created again blindly"
        )
    return classify(code, message, action=action)


def read_error(envelope: Envelope, *, action: str) -> DomainError:
    """The domain error for a repeatable read (record query, link re-issue) that failed.

    Only Kie's own JSON refusal of the request (a 4xx other than our account's problems) is
    `ProviderRejected`; everything else, our account's problems and any answer that is not
    Kie's JSON included, is `ProviderUnavailable`: asking again later may work."""
    code, status, message = envelope.code, envelope.http_status, envelope.message
    said = _said(code, message, action)
    problem = account_problem(code, message)
    if problem is not None:
        return ProviderUnavailable(f"{said}: {problem}")
    if not envelope.is_json:
        if status == 404:
            return ProviderUnavailable(f"{said}: no such endpoint; check the Kie.ai base URL")
        return ProviderUnavailable(
            f"{said}: an HTTP {status} answer that is not Kie's JSON (a gateway or proxy page)"
        )
    if code < 400 or code >= 500 or code in (408, 429, 455):
        return ProviderUnavailable(said)
    return classify(code, message, action=action)


__all__ = [
    "Envelope",
    "account_problem",
    "as_int",
    "classify",
    "create_error",
    "is_not_found",
    "looks_like_policy",
    "read_envelope",
    "read_error",
]
