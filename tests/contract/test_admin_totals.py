"""UserRepository.totals and VideoRepository.count_all_by_status: admin totals over every
account, on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afp_core.domain.ids import UserId
from afp_core.domain.ledger import EntryType
from afp_core.domain.users import User
from afp_core.domain.video import VideoStatus
from afp_core.ports.repositories import UserTotals
from tests.contract.conftest import Store
from tests.contract.test_video_counts import video

pytestmark = pytest.mark.contract
NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def test_an_empty_store_has_zero_totals(store: Store) -> None:
    async with store.uow() as uow:
        assert await uow.users.totals() == UserTotals(0, 0, 0, 0)
        assert await uow.videos.count_all_by_status() == {}


async def test_totals_add_every_account_up(store: Store) -> None:
    async with store.uow() as uow:
        for name in ("ann", "bob", "cid"):
            await uow.users.add(User(id=UserId(name), email=f"{name}@x.test", created_at=NOW))
        await uow.ledger.credit(UserId("ann"), 10, EntryType.GRANT, key="g-ann", now=NOW)
        await uow.ledger.credit(UserId("bob"), 5, EntryType.GRANT, key="g-bob", now=NOW)
        await uow.ledger.hold(
            UserId("ann"), 3, key="h-ann", now=NOW, expires_at=NOW + timedelta(hours=1)
        )
        await uow.commit()
    async with store.uow() as uow:
        totals = await uow.users.totals()
    assert totals == UserTotals(users=3, balance=15, reserved=3, debt=0)
    assert totals.available == 12


async def test_counts_by_status_span_every_user(store: Store) -> None:
    async with store.uow() as uow:
        for name in ("ann", "bob"):
            await uow.users.add(User(id=UserId(name), email=f"{name}@x.test", created_at=NOW))
        failed = video(1, "ann")
        failed.mark_failed("boom", NOW)
        for made in (failed, video(2, "ann"), video(3, "bob")):
            await uow.videos.add(made)
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.videos.count_all_by_status() == {
            VideoStatus.FAILED: 1,
            VideoStatus.QUEUED: 2,
        }
