"""Connections and posts in every store: the refresh lease is won by exactly one worker, so two
concurrent refreshes of one connection call the platform once (in memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from afp_adapters.fakes import FakeClock, FakeSocialPublisher, FakeTokenCipher
from afp_core.domain.ids import HoldId, PostId, UserId, VideoId
from afp_core.domain.policy import SocialTiming
from afp_core.domain.social import (
    ConnectionStatus,
    OAuthTokens,
    Post,
    SocialConnection,
    SocialProvider,
)
from afp_core.domain.users import User
from afp_core.domain.video import Video, VideoSpec
from afp_core.usecases._social_tokens import TokenKeeper, seal
from tests.contract.conftest import Store

pytestmark = pytest.mark.contract

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
TIKTOK, YOUTUBE = SocialProvider.TIKTOK, SocialProvider.YOUTUBE
ALICE, BOB = UserId("alice"), UserId("bob")
TIMING = SocialTiming(
    refresh_wait=timedelta(seconds=10), refresh_wait_step=timedelta(milliseconds=5)
)


def a_connection(
    user_id: UserId = ALICE,
    provider: SocialProvider = TIKTOK,
    *,
    expires_at: datetime | None = NOW,
    cipher: FakeTokenCipher | None = None,
) -> SocialConnection:
    connection = SocialConnection(
        user_id=user_id,
        provider=provider,
        access_token_enc="",
        refresh_token_enc=None,
        expires_at=None,
        scopes=("video.publish",),
        account_id="acct",
        account_name="Alice's account",
        connected_at=NOW,
    )
    tokens = OAuthTokens("access-1", "refresh-1", expires_at)
    seal(cipher or FakeTokenCipher(), connection, tokens)
    return connection


async def add_users(store: Store) -> None:
    async with store.uow() as uow:
        for user_id in (ALICE, BOB):
            await uow.users.add(User(user_id, f"{user_id}@example.com", NOW))
        await uow.commit()


async def save(store: Store, *connections: SocialConnection) -> None:
    async with store.uow() as uow:
        for connection in connections:
            await uow.connections.save(connection)
        await uow.commit()


async def stored(store: Store, user_id: UserId = ALICE) -> SocialConnection:
    async with store.uow() as uow:
        found = await uow.connections.get(user_id, TIKTOK)
    assert found is not None
    return found


async def claim(store: Store, now: datetime, user_id: UserId = ALICE) -> bool:
    async with store.uow() as uow:
        won = await uow.connections.claim_refresh(
            user_id, TIKTOK, now=now, until=now + timedelta(minutes=2)
        )
        await uow.commit()
    return won


async def test_a_connection_round_trips_with_its_lease_and_status(store: Store) -> None:
    await add_users(store)
    connection = a_connection()
    connection.refresh_claimed_until = NOW + timedelta(minutes=1)
    await save(store, connection)
    assert await stored(store) == connection
    connection.mark_needs_reconnect()
    await save(store, connection)
    found = await stored(store)
    assert (found.status, found.access_token_enc, found.refresh_claimed_until) == (
        ConnectionStatus.NEEDS_RECONNECT,
        "",
        None,
    )


async def test_the_refresh_lease_goes_to_one_claimant_until_it_runs_out(store: Store) -> None:
    await add_users(store)
    await save(store, a_connection())
    assert await claim(store, NOW) is True
    assert await claim(store, NOW + timedelta(seconds=30)) is False
    assert await claim(store, NOW + timedelta(minutes=2)) is True  # the holder died
    released = await stored(store)
    released.release_refresh()
    await save(store, released)
    assert await claim(store, NOW + timedelta(minutes=2, seconds=1)) is True


async def test_only_a_connected_connection_can_be_claimed(store: Store) -> None:
    await add_users(store)
    revoked = a_connection()
    revoked.revoke()
    await save(store, revoked)
    assert await claim(store, NOW) is False
    assert await claim(store, NOW, user_id=BOB) is False  # no connection at all


async def test_connections_due_for_refresh_come_soonest_first(store: Store) -> None:
    await add_users(store)
    gone = a_connection(BOB, YOUTUBE, expires_at=NOW)
    gone.revoke()
    await save(
        store,
        a_connection(ALICE, TIKTOK, expires_at=NOW + timedelta(days=2)),
        a_connection(ALICE, YOUTUBE, expires_at=NOW + timedelta(days=1)),
        a_connection(BOB, TIKTOK, expires_at=None),
        gone,
    )
    async with store.uow() as uow:
        due = await uow.connections.due_for_refresh(NOW + timedelta(days=3), limit=10)
        first = await uow.connections.due_for_refresh(NOW + timedelta(days=3), limit=1)
        none = await uow.connections.due_for_refresh(NOW + timedelta(hours=1), limit=10)
    assert [(c.user_id, c.provider) for c in due] == [(ALICE, YOUTUBE), (ALICE, TIKTOK)]
    assert [c.provider for c in first] == [YOUTUBE]
    assert none == []


async def test_every_connection_can_be_walked_a_page_at_a_time(store: Store) -> None:
    await add_users(store)
    await save(
        store,
        a_connection(BOB, TIKTOK),
        a_connection(ALICE, YOUTUBE),
        a_connection(ALICE, TIKTOK),
    )
    seen: list[tuple[str, str]] = []
    after = None
    async with store.uow() as uow:
        while page := await uow.connections.list_all(after=after, limit=2):
            seen += [(c.user_id, c.provider.value) for c in page]
            after = (page[-1].user_id, page[-1].provider)
    assert seen == [("alice", "tiktok"), ("alice", "youtube"), ("bob", "tiktok")]


async def test_a_post_keeps_its_sent_marker_and_title(store: Store) -> None:
    await add_users(store)
    video = Video(
        id=VideoId("v-1"),
        user_id=ALICE,
        spec=VideoSpec(model="afp-local", prompt="a demo", duration_s=8, aspect_ratio="9:16"),
        price=1,
        hold_id=HoldId("h-1"),
        created_at=NOW,
        updated_at=NOW,
        deadline=NOW + timedelta(hours=2),
    )
    post = Post(PostId("p-1"), ALICE, video.id, YOUTUBE, "caption", NOW, NOW, title="A title")
    async with store.uow() as uow:
        await uow.videos.add(video)
        await uow.posts.add(post)
        await uow.commit()
    post.start_publishing(NOW + timedelta(seconds=1))
    async with store.uow() as uow:
        await uow.posts.save(post)
        await uow.commit()
    async with store.uow() as uow:
        found = await uow.posts.get_any(post.id)
    assert found == post
    assert found.in_doubt


class GatedPublisher(FakeSocialPublisher):
    def __init__(self) -> None:
        super().__init__(TIKTOK)
        self.gate = asyncio.Event()

    async def refresh(self, tokens: OAuthTokens) -> OAuthTokens:
        await self.gate.wait()
        return await super().refresh(tokens)


async def test_two_concurrent_refreshes_of_one_connection_call_the_platform_once(
    store: Store,
) -> None:
    await add_users(store)
    cipher, clock = FakeTokenCipher(), FakeClock(NOW)
    await save(store, a_connection(cipher=cipher))
    stale = await stored(store)  # both workers start from the expired tokens
    publisher = GatedPublisher()
    workers = [TokenKeeper(store.uow, cipher, clock, TIMING) for _ in range(2)]
    both = asyncio.gather(*(w.usable(publisher, stale) for w in workers))
    await asyncio.sleep(0.1)
    publisher.gate.set()
    first, second = await both
    assert publisher.refreshes == ["refresh-1"]
    assert first == second
    assert (first.access_token, first.refresh_token) == ("access-1+", "refresh-1+")
    kept = await stored(store)
    assert kept.refresh_claimed_until is None
    assert kept.expires_at == NOW + timedelta(days=1)
