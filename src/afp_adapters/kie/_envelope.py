"""Kie.ai's `{code, msg|message, data}` envelope and how its error codes map to domain errors.

Errors arrive both ways: as HTTP 200 with a non-200 body `code` (401 and 429 were seen live) and
as real non-2xx answers, often with an HTML or text body (doc § 1, § 6). The body code wins when
there is one.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import httpx

from afp_core.domain.errors import (
    DomainError,
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
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        text = response.text.strip()[:200] if response.content else ""
        return Envelope(status, status, text or response.reason_phrase, None, is_json=False)
    code = as_int(payload.get("code"))
    message = payload.get("msg") or payload.get("message") or ""
    if code is None or (status >= 400 and code == 200):
        code = status
    return Envelope(status, code, str(message), payload.get("data"), is_json=True)


def classify(code: int, message: str, *, action: str) -> DomainError:
    """The domain error for a non-200 code. `action` names the call, e.g. "create the task"."""
    said = f"Kie.ai could not {action} ({code}: {message or 'no message'})"
    lowered = message.lower()
    if code in (401, 403):
        if "1010" in message:
            return ProviderRejected(
                f"{said}: Cloudflare in front of Kie.ai refused the request (error 1010, "
                "usually the User-Agent); a configuration problem on our side, not the API key"
            )
        return ProviderRejected(
            f"{said}: Kie.ai refused our API key; a configuration problem on our side "
            "(check AFP_KIE_API_KEY and the key's IP allow-list), not a problem of this video"
        )
    if code == 402:
        return ProviderOutOfCredits(f"{said}: our Kie.ai account is out of credits; top it up")
    if code == 433:
        return ProviderOutOfCredits(
            f"{said}: the API key's usage cap is exhausted; raise it on kie.ai/api-key"
        )
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


__all__ = ["Envelope", "as_int", "classify", "is_not_found", "looks_like_policy", "read_envelope"]
