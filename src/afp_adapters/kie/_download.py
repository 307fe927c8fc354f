"""Fetching a finished video: size cap, timeout, one re-minted link when the URL has expired.

The request to the file host never carries the Kie API key (it is only ever given to calls to
Kie's API). Every httpx failure is a domain error: `ProviderUnavailable` when asking again may
work (timeouts, 5xx, redirect loops, a body that does not decode), `ProviderRejected` when it
cannot (a malformed URL, a video over the size cap).

Result URLs can die in under an hour (HTTP 403 was measured after ~40 min, doc § 8). Then
`POST /api/v1/common/download-url` re-issues a 20-minute link, once. That endpoint also
"succeeds" for made-up URLs, so the bytes must look like a video before they are trusted.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx

from afp_core.domain.errors import ProviderRejected, ProviderUnavailable

_EXPIRED = (401, 403, 404, 410)
_VIDEO_BOXES = (b"ftyp", b"styp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")
_EBML = b"\x1a\x45\xdf\xa3"  # WebM / Matroska


class _Expired(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def looks_like_video(data: bytes) -> bool:
    """An MP4 / QuickTime box header or a WebM / Matroska magic number."""
    return len(data) >= 12 and (data[4:8] in _VIDEO_BOXES or data.startswith(_EBML))


def _describe(exc: Exception) -> str:
    text = str(exc)[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextlib.asynccontextmanager
async def _streamed(
    client: httpx.AsyncClient, request: httpx.Request
) -> AsyncIterator[httpx.Response]:
    response = await client.send(request, stream=True, follow_redirects=True)
    try:
        yield response
    finally:
        await response.aclose()


async def _get_capped(
    client: httpx.AsyncClient,
    url: str,
    *,
    http_timeout: httpx.Timeout,
    max_bytes: int,
    user_agent: str,
) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ProviderRejected(f"the result URL {url[:200]!r} is not an http(s) URL")
    try:  # no `auth`: the file host never sees the Kie API key
        request = client.build_request(
            "GET", url, headers={"User-Agent": user_agent}, timeout=http_timeout
        )
    except (httpx.InvalidURL, ValueError) as exc:  # IDNA errors are UnicodeError (ValueError)
        # a malformed result URL stays malformed: no retry helps
        raise ProviderRejected(f"the result URL {url[:200]!r} is not a valid URL: {exc}") from exc
    try:
        async with _streamed(client, request) as response:
            status = response.status_code
            if status in _EXPIRED:
                raise _Expired(f"HTTP {status}")
            if status == 429 or status >= 500:
                raise ProviderUnavailable(f"the video download answered HTTP {status}")
            if status >= 300:
                raise ProviderRejected(f"the video download answered HTTP {status}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ProviderRejected(
                    f"the video is {int(declared)} bytes, more than the {max_bytes} allowed"
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderRejected(f"the video is larger than the {max_bytes} allowed")
                chunks.append(chunk)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        # timeouts, resets, redirect loops or bad redirect targets, a body that won't decode
        raise ProviderUnavailable(f"the video download failed: {_describe(exc)}") from exc
    data = b"".join(chunks)
    if not looks_like_video(data):
        raise _Expired("the answer is not a video")
    return data


async def fetch_video(
    client: httpx.AsyncClient,
    url: str,
    *,
    remint: Callable[[str], Awaitable[str]],
    http_timeout: httpx.Timeout,
    max_bytes: int,
    user_agent: str,
) -> bytes:
    """The video's bytes. `ProviderUnavailable` for what may pass (timeouts, 5xx),
    `ProviderRejected` once the URL and its re-issued link both fail."""
    try:
        return await _get_capped(
            client, url, http_timeout=http_timeout, max_bytes=max_bytes, user_agent=user_agent
        )
    except _Expired as first:
        fresh = await remint(url)
        try:
            return await _get_capped(
                client, fresh, http_timeout=http_timeout, max_bytes=max_bytes, user_agent=user_agent
            )
        except _Expired as second:
            raise ProviderRejected(
                f"the result URL is gone ({first.reason}) and the link Kie.ai re-issued "
                f"failed too ({second.reason})"
            ) from second


__all__ = ["fetch_video", "looks_like_video"]
