"""The sweeper settles posts whose job died for good: never re-publishing one that may have
been sent, resuming one that has a reference, failing one that was never sent."""

from __future__ import annotations

from datetime import timedelta

from afp_adapters.fakes import FakeClock, InMemoryDatabase, InMemoryJobQueue, SequentialIds
from afp_core.domain.ids import PostId, UserId, VideoId
from afp_core.domain.jobs import JobName
from afp_core.domain.policy import SocialTiming
from afp_core.domain.social import Post, PostStatus, SocialProvider
from afp_core.usecases import SweepStuckWork, SweepStuckWorkCommand
from afp_core.usecases.sweep_stuck_work import POST_IN_DOUBT, POST_NEVER_STARTED

TIMING = SocialTiming(post_stale_after=timedelta(minutes=30), post_max_checks=3)


def _post(post_id: str, clock: FakeClock, **changes: object) -> Post:
    post = Post(
        PostId(post_id),
        UserId("u1"),
        VideoId("v1"),
        SocialProvider.YOUTUBE,
        "caption",
        clock.now(),
        clock.now(),
    )
    for name, value in changes.items():
        setattr(post, name, value)
    return post


async def test_stale_posts_are_failed_or_resumed_and_fresh_ones_left_alone() -> None:
    db = InMemoryDatabase(SequentialIds("row"))
    clock = FakeClock()
    started = clock.now()
    async with db.unit_of_work() as uow:
        await uow.posts.add(_post("never-sent", clock))
        await uow.posts.add(_post("in-doubt", clock, publish_started_at=started))
        await uow.posts.add(
            _post("uploading", clock, publish_started_at=started, publish_id="https://up/1")
        )
        await uow.posts.add(
            _post("at-deadline", clock, publish_started_at=started, publish_id="r", checks=2)
        )
        await uow.commit()
    clock.advance(timedelta(minutes=31))
    async with db.unit_of_work() as uow:
        await uow.posts.add(_post("fresh", clock))
        await uow.commit()
    sweep = SweepStuckWork(db.unit_of_work, InMemoryJobQueue(db), clock, social=TIMING)

    result = await sweep.execute(SweepStuckWorkCommand())

    assert (result.posts_failed, result.posts_resumed) == (3, 1)
    async with db.unit_of_work() as uow:
        posts = {p: await uow.posts.get_any(PostId(p)) for p in ("never-sent", "in-doubt")}
        posts["uploading"] = await uow.posts.get_any(PostId("uploading"))
        posts["at-deadline"] = await uow.posts.get_any(PostId("at-deadline"))
        posts["fresh"] = await uow.posts.get_any(PostId("fresh"))
    assert (posts["never-sent"].status, posts["never-sent"].error) == (
        PostStatus.FAILED,
        POST_NEVER_STARTED,
    )
    assert (posts["in-doubt"].status, posts["in-doubt"].error) == (PostStatus.FAILED, POST_IN_DOUBT)
    assert posts["uploading"].status is PostStatus.PUBLISHING
    assert posts["uploading"].checks == 1
    assert posts["at-deadline"].status is PostStatus.FAILED
    assert posts["fresh"].status is PostStatus.PUBLISHING
    refreshes = [
        r.job.payload["post_id"]
        for r in db.tables.jobs.values()
        if r.job.name is JobName.REFRESH_POST
    ]
    assert refreshes == ["uploading"]
    again = await sweep.execute(SweepStuckWorkCommand())
    assert (again.posts_failed, again.posts_resumed) == (0, 0)  # the resumed one is fresh now
