"""What the three publishers share: one httpx client per adapter, transport-error mapping, JSON
reading, expiry arithmetic, caption trimming and PKCE helpers.

Transport errors are read by what they prove. A connect error (or a pool / connect timeout)
means no byte left: repeating is safe, `ProviderUnavailable`. Anything later (a read timeout, a
dropped connection) means the platform may have acted: for a call that creates or publishes
something that is `ProviderOutcomeUnknown`, otherwise `ProviderUnavailable`.

Secrets: access tokens travel in `BearerAuth` (its repr hides them) or in form bodies, never in
an error message. Messages name the platform, the action and the platform's own error text.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from afp_core.domain.errors import ProviderOutcomeUnknown, ProviderUnavailable

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_UPLOAD_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
# No byte of the request left the machine: repeating the call is safe.
NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.InvalidURL,
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class BearerAuth(httpx.Auth):
    """`Authorization: <scheme> <token>` for one call; the repr hides the token."""

    def __init__(self, token: str, scheme: str = "Bearer") -> None:
        self._value = f"{scheme} {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._value
        yield request

    def __repr__(self) -> str:
        return "<bearer token (hidden)>"


class SocialHttp:
    """One `httpx.AsyncClient` and the transport-error reading every adapter needs."""

    def __init__(
        self,
        platform: str,
        *,
        transport: httpx.AsyncBaseTransport | None,
        timeout: httpx.Timeout | float,
    ) -> None:
        self.platform = platform
        self._client = httpx.AsyncClient(
            transport=transport, timeout=timeout, follow_redirects=False
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self,
        method: str,
        url: str,
        *,
        action: str,
        creates: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request. `creates`: the call may create or publish something, so a failure
        after the request left is `ProviderOutcomeUnknown`."""
        try:
            return await self._client.request(method, url, **kwargs)
        except NOT_SENT as exc:
            raise ProviderUnavailable(
                f"{self.platform} could not {action}: {describe(exc)} (nothing was sent)"
            ) from exc
        except httpx.HTTPError as exc:
            if creates:
                raise ProviderOutcomeUnknown(
                    f"{self.platform} could not {action}: {describe(exc)} after the request was "
                    "sent; it may have happened, so it must not be repeated blindly"
                ) from exc
            raise ProviderUnavailable(
                f"{self.platform} could not {action}: {describe(exc)}"
            ) from exc


def describe(exc: Exception) -> str:
    """A transport error's kind, without its URL (a URL may carry a token)."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    return f"connection failed ({type(exc).__name__})"


def read_json(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None (empty, not JSON, or not an object)."""
    if not response.content:
        return None
    try:
        payload = json.loads(response.content)
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def as_dict(value: object) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def text_of(value: object, limit: int = 300) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def expires_at(now: datetime, expires_in: object) -> datetime | None:
    """The absolute expiry from a relative `expires_in` (seconds), or None when absent."""
    if isinstance(expires_in, bool):
        return None
    if isinstance(expires_in, int | float) and expires_in > 0:
        return now + timedelta(seconds=int(expires_in))
    if isinstance(expires_in, str) and expires_in.strip().isdigit():
        return now + timedelta(seconds=int(expires_in.strip()))
    return None


def expires_within(expiry: datetime | None, now: datetime, margin: timedelta) -> bool:
    return expiry is not None and expiry - now <= margin


def split_scopes(value: object) -> tuple[str, ...]:
    """Scopes from a comma- or space-separated string or a list, in order, without repeats."""
    if isinstance(value, str):
        parts: list[object] = list(value.replace(",", " ").split())
    elif isinstance(value, list):
        parts = value
    else:
        return ()
    seen: dict[str, None] = {}
    for part in parts:
        if isinstance(part, str) and part.strip():
            seen.setdefault(part.strip(), None)
    return tuple(seen)


def trim_chars(text: str, limit: int) -> str:
    """At most `limit` code points, cut at a word boundary when one is close."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space >= limit * 0.8:
        cut = cut[:space]
    return cut.rstrip()


def trim_utf16(text: str, limit: int) -> str:
    """At most `limit` UTF-16 code units (TikTok counts that way), never splitting a pair."""
    text = text.strip()
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index].rstrip()
    return text  # pragma: no cover - the length check above returned already


def trim_bytes(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, never splitting a character."""
    text = text.strip()
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore").rstrip()


def hex_challenge(code_challenge: str) -> str:
    """TikTok's PKCE challenge is the hex SHA-256 of the verifier, not RFC 7636's base64url.
    The core hands over the RFC form; its 32 decoded bytes are the same digest."""
    try:
        digest = base64.urlsafe_b64decode(code_challenge + "=" * (-len(code_challenge) % 4))
    except (binascii.Error, ValueError):
        return code_challenge
    return digest.hex() if len(digest) == 32 else code_challenge


def redact(text: str, *secrets: str | None) -> str:
    """`text` with every non-empty secret replaced (defence in depth for echoed values)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_UPLOAD_TIMEOUT",
    "NOT_SENT",
    "BearerAuth",
    "SocialHttp",
    "as_dict",
    "describe",
    "expires_at",
    "expires_within",
    "hex_challenge",
    "read_json",
    "redact",
    "split_scopes",
    "text_of",
    "trim_bytes",
    "trim_chars",
    "trim_utf16",
    "utc_now",
]
