"""`Replay`: a scripted `httpx.MockTransport` handler for offline provider tests."""

from __future__ import annotations

import json
from typing import Any

import httpx

Reply = httpx.Response | Exception


class Replay:
    """Answers each request with the next scripted reply (an exception is raised instead of
    answered) and records every request; with no reply left the test fails, naming the
    request it did not expect."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def body(self, index: int = 0) -> Any:
        """The JSON body of the `index`-th request."""
        return json.loads(self.requests[index].content)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


__all__ = ["Replay", "Reply"]
