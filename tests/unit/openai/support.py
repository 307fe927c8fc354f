"""Offline OpenAI: an `AsyncOpenAI` over a mock transport, recorded payloads, a test product.

openai >= 3 talks through `httpx2` (respx patches `httpx` only and would see nothing), so the
client gets `httpx2.AsyncClient(transport=httpx2.MockTransport(...))`; older SDKs use `httpx`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai

from afp_core.domain.product import ProductFacts

try:  # openai >= 3.0
    import httpx2 as httpx_like
except ImportError:  # pragma: no cover - openai 1.x/2.x
    import httpx as httpx_like  # type: ignore[no-redef]

PAYLOADS = Path(__file__).parent / "payloads"

Reply = Callable[[Any], Any]  # httpx(2).Request -> httpx(2).Response


def payload(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    return loaded


def respond(name: str, status: int = 200, *, request_id: str = "req_test") -> Any:
    return httpx_like.Response(status, json=payload(name), headers={"x-request-id": request_id})


class Recorder:
    """Answers each request with the next reply (the last one repeats) and keeps the requests."""

    def __init__(self, replies: Iterable[Any]) -> None:
        self.replies = list(replies)
        self.requests: list[Any] = []

    def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        return reply(request) if callable(reply) else reply

    def body(self, index: int = -1) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.requests[index].content)
        return loaded


def mock_client(handler: Callable[[Any], Any]) -> openai.AsyncOpenAI:
    http_client = httpx_like.AsyncClient(transport=httpx_like.MockTransport(handler))
    return openai.AsyncOpenAI(
        api_key="test", base_url="http://openai.test/v1", http_client=http_client, max_retries=0
    )


def bottle() -> ProductFacts:
    """The product the recorded answers were written for (their fact ids exist here)."""
    return ProductFacts(
        url="https://shop.example/p/hydropeak-750",
        title="HydroPeak Insulated Steel Bottle 750 ml",
        brand="HydroPeak",
        bullets=(
            "Keeps drinks cold for 24 hours and hot for 12 hours",
            "Leak-proof lid with a one-hand flip spout",
            "Made from 18/8 stainless steel, BPA-free",
            "Fits most car cup holders",
        ),
        description=(
            "A double-walled bottle for commutes, gyms and hikes. "
            "The powder-coated finish resists scratches and sweat."
        ),
        price=Decimal("24.99"),
        currency="USD",
        rating=Decimal("4.7"),
        review_count=1843,
        images=("https://cdn.shop.example/hp750-1.jpg", "https://cdn.shop.example/hp750-2.jpg"),
    )


__all__ = ["PAYLOADS", "Recorder", "bottle", "httpx_like", "mock_client", "payload", "respond"]
