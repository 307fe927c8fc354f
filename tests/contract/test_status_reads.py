"""`VideoStatusReads`, the status poll's cheap path, answers exactly what a unit of work reads:
the owner's committed status columns, `NotFound` for anyone else's or a missing video — on
SQLite (inline sqlite3) and PostgreSQL (psycopg pool, reads batched)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import attrs
import pytest

from afp_adapters.fakes import SequentialIds
from afp_adapters.sql import SqlDatabase
from afp_adapters.sql.status_reads import PostgresStatusReads, SqliteStatusReads
from afp_core.domain.errors import NotFound
from afp_core.domain.ids import UserId, VideoId
from afp_core.domain.users import User
from afp_core.domain.video import VideoStatus
from afp_core.ports.reads import VideoStatusReads
from tests.contract.test_repositories_content import ALICE, BOB, NOW, a_video


@attrs.define
class Reads:
    db: SqlDatabase
    reads: SqliteStatusReads | PostgresStatusReads


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Reads]:
    url = request.getfixturevalue(f"{request.param}_url")
    db = SqlDatabase.from_url(url, SequentialIds("r"))
    reads: SqliteStatusReads | PostgresStatusReads = (
        SqliteStatusReads(url) if request.param == "sqlite" else PostgresStatusReads(url)
    )
    async with db.unit_of_work() as uow:
        for user in (ALICE, BOB):
            await uow.users.add(User(user, f"{user}@example.com", NOW))
        await uow.videos.add(a_video("v-alice", ALICE))
        await uow.videos.add(a_video("v-bob", BOB))
        await uow.commit()
    yield Reads(db, reads)
    await reads.close()
    await db.dispose()


async def test_the_owner_reads_what_a_unit_of_work_reads(store: Reads) -> None:
    reads: VideoStatusReads = store.reads
    got = await reads.state_of(ALICE, VideoId("v-alice"))
    async with store.db.unit_of_work() as uow:
        expected = await uow.videos.state_of(ALICE, VideoId("v-alice"))
    assert got == expected
    assert got.updated_at.tzinfo is not None


@pytest.mark.parametrize(("user", "video"), [(BOB, "v-alice"), (ALICE, "v-bob"), (ALICE, "v-none")])
async def test_another_users_or_a_missing_video_is_not_found(
    store: Reads, user: UserId, video: str
) -> None:
    with pytest.raises(NotFound):
        await store.reads.state_of(user, VideoId(video))


async def test_a_committed_change_is_read_at_once_and_an_uncommitted_one_never(
    store: Reads,
) -> None:
    async with store.db.unit_of_work() as uow:
        video = await uow.videos.get(ALICE, VideoId("v-alice"))
        video.status, video.error_reason = VideoStatus.FAILED, "provider refused"
        video.updated_at = NOW + timedelta(minutes=3)
        await uow.videos.save(video)
        before_commit = await store.reads.state_of(ALICE, VideoId("v-alice"))
        await uow.commit()
    after = await store.reads.state_of(ALICE, VideoId("v-alice"))
    assert before_commit.status is VideoStatus.QUEUED
    assert (after.status, after.error_reason) == (VideoStatus.FAILED, "provider refused")
    assert after.updated_at == NOW + timedelta(minutes=3)


async def test_many_reads_at_once_each_get_their_own_answer(store: Reads) -> None:
    asks = [(ALICE, "v-alice"), (BOB, "v-bob"), (BOB, "v-alice"), (ALICE, "v-none")] * 25
    answers = await asyncio.gather(
        *(store.reads.state_of(u, VideoId(v)) for u, v in asks), return_exceptions=True
    )
    for (user, video), answer in zip(asks, answers, strict=True):
        if (user == ALICE and video == "v-alice") or (user == BOB and video == "v-bob"):
            assert not isinstance(answer, BaseException)
            assert answer.id == video
        else:
            assert isinstance(answer, NotFound)


async def test_postgres_reads_fail_cleanly_when_the_server_cannot_be_reached() -> None:
    reads = PostgresStatusReads("postgresql+psycopg://nobody@127.0.0.1:1/none", open_timeout_s=1)
    with pytest.raises(Exception):  # noqa: B017, PT011 - psycopg's own error
        await asyncio.wait_for(reads.state_of(ALICE, VideoId("v")), timeout=10)
    await reads.close()
