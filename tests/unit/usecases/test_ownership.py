"""L13: no user can read or change another user's videos, batches, ledger or tokens."""

from __future__ import annotations

import urllib.parse

import pytest

from afp_core.domain.errors import NotFound, ValidationFailed
from afp_core.domain.ids import UserId
from afp_core.domain.social import SocialProvider
from afp_core.usecases import (
    BeginSocialConnectionCommand,
    FinishSocialConnectionCommand,
    GetAccountSummaryQuery,
    PublishVideoCommand,
)
from tests.world import World


async def connect(world: World, user: UserId) -> None:
    begun = await world.c.begin_social_connection().execute(
        BeginSocialConnectionCommand(user, SocialProvider.TIKTOK, "https://app.test/cb")
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(begun.authorization_url).query)
    await world.c.finish_social_connection().execute(
        FinishSocialConnectionCommand(query["state"][0], "code-a")
    )


async def test_one_users_social_tokens_never_serve_another_user() -> None:
    world = World()
    alice, bob = await world.user(credits=20), await world.user(credits=20)
    await connect(world, alice)
    bobs = await world.start_video(bob)
    alices = await world.start_video(alice)
    await world.run_jobs()
    async with world.uow() as uow:
        assert await uow.connections.list_for_user(bob) == []
        assert len(await uow.connections.list_for_user(alice)) == 1
    publish = world.c.publish_video()
    with pytest.raises(ValidationFailed, match="connect"):
        await publish.execute(PublishVideoCommand(bob, bobs.video_id, SocialProvider.TIKTOK, "hi"))
    with pytest.raises(NotFound):
        await publish.execute(
            PublishVideoCommand(bob, alices.video_id, SocialProvider.TIKTOK, "hi")
        )
    assert world.c.publishers()[SocialProvider.TIKTOK].published == []  # type: ignore[attr-defined]


async def test_account_summaries_and_holds_are_per_user() -> None:
    world = World()
    alice, bob = await world.user(credits=20), await world.user(credits=5)
    await world.start_video(alice, model="veo3_fast")
    summary = await world.c.get_account_summary().execute(GetAccountSummaryQuery(bob))
    assert (summary.credits.balance, summary.credits.reserved) == (5, 0)
    assert summary.open_holds == () and summary.videos_by_status == {}
    [hold] = await world.holds(alice)
    async with world.uow() as uow:
        with pytest.raises(NotFound):
            await uow.ledger.get_hold(bob, hold.id)
        with pytest.raises(NotFound):
            await uow.ledger.release(bob, hold.id, None, key="steal", now=world.clock.now())
