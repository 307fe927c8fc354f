"""GetVideo / ListVideos: only the user's own videos, newest first, with the filter's total."""

from __future__ import annotations

import pytest

from afp_core.domain.errors import NotFound
from afp_core.domain.video import VideoStatus
from afp_core.usecases import GetVideoQuery, ListVideosQuery
from tests.world import World


async def test_a_user_lists_only_their_videos_with_totals_per_filter() -> None:
    world = World()
    alice, bob = await world.user(credits=30), await world.user(credits=30)
    first = await world.start_video(alice)
    world.clock.advance(1)
    second = await world.start_video(alice)
    await world.start_video(bob)
    page = await world.c.list_videos().execute(ListVideosQuery(alice, limit=1))
    assert [v.id for v in page.items] == [second.video_id] and page.total == 2
    page = await world.c.list_videos().execute(ListVideosQuery(alice, offset=1))
    assert [v.id for v in page.items] == [first.video_id]
    queued = await world.c.list_videos().execute(ListVideosQuery(alice, VideoStatus.QUEUED))
    assert queued.total == 2
    done = await world.c.list_videos().execute(ListVideosQuery(alice, VideoStatus.COMPLETED))
    assert done.total == 0 and done.items == ()


async def test_another_users_video_is_not_found() -> None:
    world = World()
    alice, mallory = await world.user(credits=30), await world.user(credits=30)
    started = await world.start_video(alice)
    assert (await world.c.get_video().execute(GetVideoQuery(alice, started.video_id))).id
    with pytest.raises(NotFound):
        await world.c.get_video().execute(GetVideoQuery(mallory, started.video_id))


def test_a_page_is_bounded() -> None:
    with pytest.raises(ValueError, match="limit"):
        ListVideosQuery(user_id="u", limit=1000)  # type: ignore[arg-type]
