"""VideoRepository.count_by_status: per-status counts of one user's videos, on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afp_core.domain.ids import HoldId, UserId, VideoId
from afp_core.domain.users import User
from afp_core.domain.video import Video, VideoSpec, VideoStatus
from tests.contract.conftest import Store

pytestmark = pytest.mark.contract
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def video(n: int, user: str) -> Video:
    return Video(
        id=VideoId(f"{user}-v{n}"),
        user_id=UserId(user),
        spec=VideoSpec("afp-local", "p", 8, "9:16"),
        price=1,
        hold_id=HoldId(f"h{n}"),
        created_at=NOW,
        updated_at=NOW,
        deadline=NOW + timedelta(hours=1),
    )


async def test_counts_are_per_status_and_per_user(store: Store) -> None:
    async with store.uow() as uow:
        for name in ("ann", "bob"):
            await uow.users.add(User(id=UserId(name), email=f"{name}@x.test", created_at=NOW))
        for n in range(5):
            made = video(n, "ann")
            if n < 2:
                made.mark_failed("boom", NOW)
            await uow.videos.add(made)
        await uow.videos.add(video(9, "bob"))
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.videos.count_by_status(UserId("ann")) == {
            VideoStatus.FAILED: 2,
            VideoStatus.QUEUED: 3,
        }
        assert await uow.videos.count_by_status(UserId("bob")) == {VideoStatus.QUEUED: 1}
        assert await uow.videos.count_by_status(UserId("nobody")) == {}


async def test_counts_of_every_user_add_up_per_status(store: Store) -> None:
    async with store.uow() as uow:
        assert await uow.videos.count_all_by_status() == {}
        for name in ("ann", "bob"):
            await uow.users.add(User(id=UserId(name), email=f"{name}@x.test", created_at=NOW))
        for n in range(3):
            made = video(n, "ann")
            if n == 0:
                made.mark_failed("boom", NOW)
            await uow.videos.add(made)
        await uow.videos.add(video(9, "bob"))
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.videos.count_all_by_status() == {
            VideoStatus.FAILED: 1,
            VideoStatus.QUEUED: 3,
        }
