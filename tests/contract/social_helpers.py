"""Shared pieces of the social-publisher contract tests: a scripted `httpx.MockTransport` that
expects requests in order and asserts each, the recorded fixtures, and an in-memory video."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import httpx

from afp_core.ports.social import PublishRequest, VideoUpload
from tests.shared_fixtures import SHARED

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
SECRET_TOKEN = "tok-SECRET-access-123456"
SECRET_REFRESH = "tok-SECRET-refresh-654321"

Check = Callable[[httpx.Request], None]


def fixture(platform: str, name: str) -> Any:
    return json.loads((SHARED / platform / name).read_text(encoding="utf-8"))


@attrs.define
class Step:
    method: str
    url: str  # scheme, host and path; the query is checked by `check`
    response: httpx.Response | None
    error: type[httpx.TransportError] | None
    check: Check | None


@attrs.define
class Script:
    """Answers requests in the order they were scripted; anything else fails the test."""

    steps: deque[Step] = attrs.field(factory=deque)
    seen: list[httpx.Request] = attrs.field(factory=list)

    def expect(
        self,
        method: str,
        url: str,
        *,
        status: int = 200,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        error: type[httpx.TransportError] | None = None,
        check: Check | None = None,
    ) -> Script:
        content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        response = None
        if error is None:
            all_headers = {"Content-Type": "application/json"} if content else {}
            all_headers.update(headers or {})
            response = httpx.Response(status, content=content, headers=all_headers)
        self.steps.append(Step(method, url, response, error, check))
        return self

    def handle(self, request: httpx.Request) -> httpx.Response:
        where = f"{request.method} {request.url.copy_with(query=None)}"
        assert self.steps, f"unexpected request {where}"
        step = self.steps.popleft()
        assert (request.method, str(request.url.copy_with(query=None))) == (
            step.method,
            step.url,
        ), f"expected {step.method} {step.url}, got {where}"
        self.seen.append(request)
        if step.check is not None:
            step.check(request)
        if step.error is not None:
            raise step.error("scripted failure", request=request)
        assert step.response is not None
        return step.response

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def assert_done(self) -> None:
        left = [f"{s.method} {s.url}" for s in self.steps]
        assert not left, f"requests never made: {left}"

    def count(self, method: str, url: str) -> int:
        return sum(
            1 for r in self.seen if r.method == method and str(r.url.copy_with(query=None)) == url
        )


def form_of(request: httpx.Request) -> dict[str, str]:
    parsed = parse_qs(request.content.decode(), keep_blank_values=True)
    return {key: values[-1] for key, values in parsed.items()}


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """An authorization URL as its address without the query, and its query parameters."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return f"{parts.scheme}://{parts.netloc}{parts.path}", query


def query_of(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params.items())


def json_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


def bearer(token: str = SECRET_TOKEN) -> Check:
    def check(request: httpx.Request) -> None:
        assert request.headers["Authorization"] == f"Bearer {token}"

    return check


def both(*checks: Check) -> Check:
    def check(request: httpx.Request) -> None:
        for one in checks:
            one(request)

    return check


@attrs.define
class MemoryVideo:
    """A video held in memory; `reads` records each (offset, length) asked for."""

    data: bytes
    reads: list[tuple[int, int]] = attrs.field(factory=list)

    async def read(self, offset: int, length: int) -> bytes:
        self.reads.append((offset, length))
        return self.data[offset : offset + length]

    def upload(self, url: str = "https://media.afp.example/v/1.mp4") -> VideoUpload:
        return VideoUpload(url=url, size=len(self.data), read=self.read)


def video_bytes(size: int) -> bytes:
    pattern = bytes(range(256))
    return (pattern * (size // 256 + 1))[:size]


def publish_request(
    video: MemoryVideo,
    *,
    caption: str = "New drop! #ad",
    title: str = "",
    privacy: str | None = None,
    ai_disclosure: bool = True,
    url: str = "https://media.afp.example/v/1.mp4",
) -> PublishRequest:
    return PublishRequest(
        video=video.upload(url),
        caption=caption,
        title=title,
        privacy=privacy,
        ai_disclosure=ai_disclosure,
    )


def assert_no_secret(error: BaseException) -> None:
    for text in (str(error), repr(error), getattr(error, "message", "")):
        assert SECRET_TOKEN not in text
        assert SECRET_REFRESH not in text


__all__ = [
    "NOW",
    "SECRET_REFRESH",
    "SECRET_TOKEN",
    "Check",
    "MemoryVideo",
    "Script",
    "assert_no_secret",
    "bearer",
    "both",
    "fixture",
    "form_of",
    "json_of",
    "publish_request",
    "query_of",
    "video_bytes",
]
