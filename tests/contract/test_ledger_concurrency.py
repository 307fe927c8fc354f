"""Ledger behaviour under concurrency (L8, L12), for every ledger behind a unit of work.

The same tests run on the in-memory reference, SQLite and PostgreSQL (the 200-connection proof
on PostgreSQL is in tests/integration/test_postgres_concurrency.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from afp_adapters.fakes import InMemoryDatabase, SequentialIds
from afp_adapters.sql import SqlDatabase
from afp_core.domain.errors import InsufficientCredits
from afp_core.domain.ids import UserId
from afp_core.domain.ledger import EntryType, LedgerReceipt
from afp_core.domain.users import User
from afp_core.ports.unit_of_work import UnitOfWork

pytestmark = pytest.mark.contract

NOW = datetime(2026, 1, 1, tzinfo=UTC)
USER = UserId("u-concurrent")


@pytest.fixture(
    params=["in-memory", "sqlite", pytest.param("postgres", marks=pytest.mark.integration)]
)
async def ledger_world(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], UnitOfWork]]:
    if request.param == "in-memory":
        yield InMemoryDatabase(SequentialIds()).unit_of_work
        return
    db = SqlDatabase.from_url(
        request.getfixturevalue(f"{request.param}_url"), SequentialIds(), pool_size=40
    )
    yield db.unit_of_work
    await db.dispose()


async def grant(uow_factory: Callable[[], UnitOfWork], amount: int) -> None:
    async with uow_factory() as uow:
        await uow.users.add(User(id=USER, email="concurrent@ledger.test", created_at=NOW))
        await uow.ledger.credit(USER, amount, EntryType.GRANT, key="seed", now=NOW)
        await uow.commit()


async def hold(uow_factory: Callable[[], UnitOfWork], amount: int, key: str) -> LedgerReceipt:
    async with uow_factory() as uow:
        receipt = await uow.ledger.hold(
            USER, amount, key=key, now=NOW, expires_at=NOW + timedelta(hours=1)
        )
        await uow.commit()
        return receipt


@pytest.mark.parametrize(("available", "price", "parallel"), [(100, 7, 30), (10, 10, 5), (3, 5, 4)])
async def test_parallel_holds_succeed_exactly_as_often_as_credits_allow(
    ledger_world: Callable[[], UnitOfWork], available: int, price: int, parallel: int
) -> None:
    await grant(ledger_world, available)
    outcomes = await asyncio.gather(
        *(hold(ledger_world, price, f"h{n}") for n in range(parallel)), return_exceptions=True
    )
    successes = [o for o in outcomes if isinstance(o, LedgerReceipt)]
    refused = [o for o in outcomes if isinstance(o, InsufficientCredits)]
    assert len(successes) == min(parallel, available // price)  # L12
    assert len(successes) + len(refused) == parallel
    async with ledger_world() as uow:
        balance = await uow.ledger.balance(USER)
    assert balance.available == available - len(successes) * price


async def test_concurrent_duplicates_with_one_key_execute_once(
    ledger_world: Callable[[], UnitOfWork],
) -> None:
    await grant(ledger_world, 100)
    receipts = await asyncio.gather(*(hold(ledger_world, 10, "same") for _ in range(10)))
    assert len({r.hold_id for r in receipts}) == 1  # L8
    async with ledger_world() as uow:
        assert (await uow.ledger.balance(USER)).reserved == 10
        assert len(await uow.ledger.open_holds(USER)) == 1
