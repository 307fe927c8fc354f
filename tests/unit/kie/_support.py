"""A scripted Kie.ai for the adapter tests (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeAlias

import httpx

from afp_adapters.kie import KieVideoGenerator

Reply: TypeAlias = httpx.Response | Exception | Callable[[], httpx.Response]


class Replay:
    """Answers each request with the next scripted reply: a response, an exception to raise,
    or a function making the response while the request is in flight (for responses whose
    construction fails, such as a body that does not decode)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return reply()

    def body(self, index: int = 0) -> Any:
        return json.loads(self.requests[index].content)


Kie = Callable[..., tuple[KieVideoGenerator, Replay]]


def broken_gzip() -> httpx.Response:
    """A 200 whose gzip body does not decode: httpx raises `DecodingError` while reading it."""
    return httpx.Response(200, headers={"content-encoding": "gzip"}, content=b"garbage")


def ok(data: object) -> httpx.Response:
    return httpx.Response(200, json={"code": 200, "msg": "success", "data": data})


def envelope(code: int, msg: str, *, http_status: int = 200) -> httpx.Response:
    return httpx.Response(http_status, json={"code": code, "msg": msg, "data": None})
