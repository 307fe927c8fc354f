"""`kie(*replies)` gives a `KieVideoGenerator` over `httpx.MockTransport` and its `Replay`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from afp_adapters.kie import KieVideoGenerator
from tests.unit.kie._support import Kie, Replay, Reply


@pytest.fixture
async def kie() -> AsyncIterator[Kie]:
    clients: list[httpx.AsyncClient] = []

    def make(*replies: Reply, **options: Any) -> tuple[KieVideoGenerator, Replay]:
        replay = Replay(*replies)
        client = httpx.AsyncClient(transport=httpx.MockTransport(replay))
        clients.append(client)
        return KieVideoGenerator("kie-test-key", client=client, **options), replay

    yield make
    for client in clients:
        await client.aclose()
