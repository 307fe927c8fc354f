"""The stores every repository contract runs against.

`store` is parametrised over the in-memory reference and the SQL adapters. Tests take a
`Store` and use only ports (`store.uow()`, `store.queue`), so the same test proves every
implementation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import attrs
import pytest

from afp_adapters.fakes import InMemoryDatabase, InMemoryJobQueue, SequentialIds
from afp_adapters.sql import SqlDatabase, SqlJobQueue
from afp_core.domain.payments import WebhookDelivery
from afp_core.ports.commerce import JobQueue
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.define
class Store:
    kind: str
    uow: UnitOfWorkFactory
    queue: JobQueue


async def _memory() -> AsyncIterator[Store]:
    db = InMemoryDatabase(SequentialIds("m"))
    yield Store("memory", db.unit_of_work, InMemoryJobQueue(db))


async def _sql(url: str, kind: str) -> AsyncIterator[Store]:
    db = SqlDatabase.from_url(url, SequentialIds("s"))
    try:
        yield Store(kind, db.unit_of_work, SqlJobQueue(db.engine))
    finally:
        await db.dispose()


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.integration)]
)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        makers = _memory()
    else:
        url = request.getfixturevalue(f"{request.param}_url")
        makers = _sql(url, request.param)
    async for made in makers:
        yield made


def delivery(
    provider: str, event_id: str, received_at: datetime, **changes: Any
) -> WebhookDelivery:
    """A verified webhook delivery as the inbox stores it."""
    body = f'{{"event": "{event_id}"}}'.encode()
    return WebhookDelivery(provider, event_id, received_at, body, **changes)
