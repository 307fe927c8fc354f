"""Test doubles for the fetcher: a resolver we control and a transport that records requests.

No test here ever touches the network: every request ends in an `httpx.MockTransport`."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import httpx

from afp_adapters.scraping.addresses import IPAddress
from afp_adapters.scraping.fetch import FetchPolicy, SafeFetcher

PUBLIC_IP = "93.184.216.34"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeResolver:
    """Answers from a table; unknown names do not exist. Records every name asked for."""

    def __init__(self, answers: Mapping[str, Sequence[str]] | None = None) -> None:
        self.answers = dict(answers or {})
        self.calls: list[str] = []

    async def resolve(self, host: str) -> list[IPAddress]:
        self.calls.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(a) for a in self.answers[host]]


class RecordingTransport(httpx.MockTransport):
    """A MockTransport that keeps every request it was asked to send."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return handler(request)

        super().__init__(record)

    @property
    def hosts(self) -> list[str]:
        return [r.headers["host"] for r in self.requests]


class Sleeps:
    """A `sleep` for the retry backoff that returns at once and remembers the delays."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class ChunkStream(httpx.AsyncByteStream):
    """A response body served in chunks, optionally with a pause before each; counts what
    was actually pulled."""

    def __init__(self, chunks: Sequence[bytes], *, pause: float = 0.0) -> None:
        self.chunks = list(chunks)
        self.pause = pause
        self.served = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            if self.pause:
                await asyncio.sleep(self.pause)
            self.served += 1
            yield chunk


def html(
    body: str | bytes = "<html><h1>ok</h1></html>", status: int = 200, **headers: Any
) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return httpx.Response(
        status, headers={"content-type": "text/html; charset=utf-8", **headers}, content=content
    )


def redirect(location: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"location": location})


def make_fetcher(
    handler: Handler,
    answers: Mapping[str, Sequence[str]] | None = None,
    **policy: Any,
) -> tuple[SafeFetcher, RecordingTransport, FakeResolver, Sleeps]:
    transport = RecordingTransport(handler)
    resolver = FakeResolver(answers)
    sleeps = Sleeps()
    fetcher = SafeFetcher(
        resolver=resolver, transport=transport, policy=FetchPolicy(**policy), sleep=sleeps
    )
    return fetcher, transport, resolver, sleeps


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent, got {request.method} {request.url}")
