"""CreditLedger.entries_page and count_entries: the journal paged by offset, on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afp_core.domain.errors import NotFound
from afp_core.domain.ids import UserId
from afp_core.domain.ledger import EntryType
from afp_core.domain.users import User
from tests.contract.conftest import Store

pytestmark = pytest.mark.contract
NOW = datetime(2026, 1, 1, tzinfo=UTC)
ANN, BOB = UserId("ann"), UserId("bob")


async def seeded(store: Store) -> None:
    async with store.uow() as uow:
        for name in (ANN, BOB):
            await uow.users.add(User(id=name, email=f"{name}@x.test", created_at=NOW))
        for n in range(5):
            at = NOW + timedelta(minutes=n)
            await uow.ledger.credit(ANN, n + 1, EntryType.GRANT, key=f"g{n}", now=at)
        await uow.ledger.credit(BOB, 9, EntryType.GRANT, key="g", now=NOW)
        await uow.commit()


async def test_pages_follow_the_journal_newest_first_and_the_total_counts_all(
    store: Store,
) -> None:
    await seeded(store)
    async with store.uow() as uow:
        newest = await uow.ledger.entries(ANN, limit=10)
        first = await uow.ledger.entries_page(ANN, limit=2, offset=0)
        second = await uow.ledger.entries_page(ANN, limit=2, offset=2)
        last = await uow.ledger.entries_page(ANN, limit=2, offset=4)
        past_the_end = await uow.ledger.entries_page(ANN, limit=2, offset=5)
        assert await uow.ledger.count_entries(ANN) == 5
        assert await uow.ledger.count_entries(BOB) == 1
    assert [*first, *second, *last] == list(newest)
    assert [e.amount for e in first] == [5, 4]
    assert past_the_end == []


async def test_a_user_without_entries_counts_zero_and_an_unknown_user_is_not_found(
    store: Store,
) -> None:
    async with store.uow() as uow:
        await uow.users.add(User(id=ANN, email="ann@x.test", created_at=NOW))
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.ledger.count_entries(ANN) == 0
        assert await uow.ledger.entries_page(ANN, limit=5, offset=0) == []
        with pytest.raises(NotFound):
            await uow.ledger.count_entries(UserId("nobody"))
        with pytest.raises(NotFound):
            await uow.ledger.entries_page(UserId("nobody"), limit=5, offset=0)
