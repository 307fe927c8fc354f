"""What the databases enforce on their own: CHECK constraints, and SQLite's write discipline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from afp_adapters.fakes import SequentialIds
from afp_adapters.sql import SqlDatabase
from afp_adapters.sql import tables as t
from afp_core.domain.ids import UserId
from afp_core.domain.ledger import EntryType
from afp_core.domain.users import User

NOW = datetime(2026, 1, 1, tzinfo=UTC)
USER = UserId("u-safe")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def db(request: pytest.FixtureRequest) -> AsyncIterator[SqlDatabase]:
    database = SqlDatabase.from_url(
        request.getfixturevalue(f"{request.param}_url"), SequentialIds()
    )
    async with database.unit_of_work() as uow:
        await uow.users.add(User(id=USER, email="safe@ledger.test", created_at=NOW))
        await uow.ledger.credit(USER, 10, EntryType.GRANT, key="seed", now=NOW)
        await uow.ledger.hold(USER, 4, key="h", now=NOW, expires_at=NOW + timedelta(hours=1))
        await uow.commit()
    yield database
    await database.dispose()


@pytest.mark.parametrize(
    ("table", "values"),
    [
        (t.users, {"credits_balance": -1, "credits_reserved": 0}),
        (t.users, {"credits_reserved": -1}),
        (t.users, {"credits_reserved": 11}),  # reserved above balance
        (t.users, {"credits_debt": -5}),
        (t.credit_holds, {"captured": 5}),  # more than the hold's amount
        (t.credit_holds, {"released": -1}),
        (t.credit_holds, {"status": "SETTLED"}),  # ended with credits still open
    ],
)
async def test_the_database_refuses_money_that_does_not_add_up(
    db: SqlDatabase, table: sa.Table, values: dict[str, object]
) -> None:
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as conn:
            await conn.execute(table.update().values(**values))
    async with db.unit_of_work() as uow:
        balance = await uow.ledger.balance(USER)
    assert (balance.balance, balance.reserved) == (10, 4)


async def test_a_hold_for_no_account_is_refused_at_commit(db: SqlDatabase) -> None:
    """The hold's foreign key is checked at commit (migration 0011), and still checked."""
    row = {
        "id": "h-orphan",
        "user_id": "nobody",
        "amount": 1,
        "status": "OPEN",
        "reference": "",
        "expires_at": NOW + timedelta(hours=1),
        "created_at": NOW,
    }
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as conn:
            await conn.execute(t.credit_holds.insert().values(**row))  # accepted for now
    async with db.engine.connect() as conn:
        ids = set((await conn.execute(sa.select(t.credit_holds.c.id))).scalars())
    assert len(ids) == 1 and "h-orphan" not in ids  # the fixture's own hold only


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    database = SqlDatabase.from_url(sqlite_url, SequentialIds())
    try:
        async with database.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    finally:
        await database.dispose()


async def test_sqlite_units_of_work_take_the_write_lock_when_they_begin(sqlite_url: str) -> None:
    """BEGIN IMMEDIATE: a second unit of work waits at its start, not half way through."""
    database = SqlDatabase.from_url(sqlite_url, SequentialIds())
    seen: list[str] = []

    async def first() -> None:
        async with database.unit_of_work() as uow:
            await uow.users.add(User(id=UserId("a"), email="a@x.test", created_at=NOW))
            seen.append("first began")
            await asyncio.sleep(0.3)
            seen.append("first commits")
            await uow.commit()

    async def second() -> None:
        await asyncio.sleep(0.05)
        async with database.unit_of_work() as uow:
            seen.append("second began")
            await uow.users.add(User(id=UserId("b"), email="b@x.test", created_at=NOW))
            await uow.commit()

    try:
        await asyncio.gather(first(), second())
    finally:
        await database.dispose()
    assert seen == ["first began", "first commits", "second began"]
