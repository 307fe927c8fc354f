"""Recovery on the in-memory world: whatever fails, and wherever a worker dies, every video
ends exactly once, is charged only if it completed, and the ledger adds up."""

from __future__ import annotations

from datetime import timedelta

from afp_adapters.fakes import FakeVideoGenerator, Outcome, Scenario
from afp_bootstrap.jobs import SWEEP_KEY, schedule_sweep
from afp_core.domain.jobs import JobName
from afp_core.domain.policy import VideoTiming
from afp_core.domain.video import FailureKind, VideoStatus
from afp_core.usecases import HandleVideoCallbackCommand
from afp_core.usecases.sweep_stuck_work import NO_PROGRESS
from tests.unit.usecases._faults import (
    DyingGenerator,
    DyingStorage,
    assert_ended_once,
    assert_ledger_holds,
    run_like_a_worker,
    running_jobs,
    script_mentioning,
    sweep,
    with_storage,
)
from tests.world import World

TIMING = VideoTiming()
PAST_LEASE = TIMING.job_lease + timedelta(seconds=1)


async def test_a_worker_dying_between_render_and_store_is_recovered_and_charged_once() -> None:
    world = with_storage(World(), DyingStorage(crashes=1))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    assert await run_like_a_worker(world) == 1  # died inside the poll job, before storing
    assert running_jobs(world) == 1
    assert (await world.video(started.video_id)).status is VideoStatus.RENDERING
    assert await world.storage.exists(f"videos/{user}/{started.video_id}.mp4") is False

    assert (await sweep(world)).jobs_requeued == 0  # the lease has not run out yet
    world.clock.advance(PAST_LEASE)
    assert (await sweep(world)).jobs_requeued == 1
    assert await run_like_a_worker(world) == 0
    assert await assert_ended_once(world, user, started.video_id) is VideoStatus.COMPLETED
    assert (await world.balance(user)).balance == 29
    await assert_ledger_holds(world, user)
    assert running_jobs(world) == 0


async def test_a_worker_dying_in_the_create_call_fails_the_video_and_never_resubmits() -> None:
    world = World(generator=DyingGenerator(crashes=1))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    assert await run_like_a_worker(world) == 1
    video = await world.video(started.video_id)
    assert video.status is VideoStatus.QUEUED and video.submit_started_at is not None

    world.clock.advance(PAST_LEASE)  # past the lease and past `submit_in_doubt_after`
    swept = await sweep(world)
    assert (swept.jobs_requeued, swept.videos_failed) == (1, 1)
    await run_like_a_worker(world)
    assert await assert_ended_once(world, user, started.video_id) is VideoStatus.FAILED
    assert "never paid for twice" in ((await world.video(started.video_id)).error_reason or "")
    assert world.generator.submit_calls == 1
    balance = await world.balance(user)
    assert (balance.balance, balance.reserved) == (30, 0)
    await assert_ledger_holds(world, user)


async def test_a_create_call_in_flight_is_left_alone_until_it_is_in_doubt() -> None:
    world = World(generator=DyingGenerator(crashes=1))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await run_like_a_worker(world)
    world.clock.advance(TIMING.submit_in_doubt_after - timedelta(seconds=1))
    assert (await sweep(world)).videos_failed == 0
    world.clock.advance(timedelta(seconds=2))
    assert (await sweep(world)).videos_failed == 1
    await run_like_a_worker(world)  # the stale submit job is still running: only settle runs
    assert await assert_ended_once(world, user, started.video_id) is VideoStatus.FAILED


async def test_a_video_whose_jobs_were_lost_fails_at_its_deadline_and_is_released() -> None:
    world = World()
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.runner.run_due()  # submitted; the poll job is then lost for good
    queue = world.c.job_queue()
    [(poll_id, poll)] = await queue.due(world.clock.now() + timedelta(hours=1))
    assert poll.name == JobName.POLL_VIDEO
    await queue.fail(poll_id, error="lost")

    assert (await sweep(world)).videos_failed == 0  # before its deadline: left alone
    world.clock.advance(TIMING.render_deadline)
    assert (await sweep(world)).videos_failed == 1
    await run_like_a_worker(world)
    video = await world.video(started.video_id)
    assert video.error_reason == NO_PROGRESS
    assert await assert_ended_once(world, user, started.video_id) is VideoStatus.FAILED
    assert (await world.balance(user)).available == 30
    await assert_ledger_holds(world, user)


async def test_a_queued_video_the_provider_never_took_fails_at_its_deadline() -> None:
    world = World()
    user = await world.user(credits=30)
    started = await world.start_video(user)
    queue = world.c.job_queue()
    [(submit_id, _)] = await queue.due(world.clock.now())
    await queue.fail(submit_id, error="lost")
    world.clock.advance(TIMING.render_deadline)
    await sweep(world)
    await sweep(world)  # a second sweep adds no second settlement
    assert world.c.job_queue().counts() == {"failed": 1, "waiting": 1}
    await run_like_a_worker(world)
    assert await assert_ended_once(world, user, started.video_id) is VideoStatus.FAILED
    await assert_ledger_holds(world, user)


async def test_a_settlement_already_waiting_decides_not_the_sweeper() -> None:
    world = World()
    user = await world.user(credits=30)
    started = await world.start_video(user)
    for _ in range(3):  # submit, poll (rendering), poll (stored, settlement queued)
        await world.runner.run_due()
        world.clock.advance(timedelta(minutes=1))
    assert (await world.video(started.video_id)).status is VideoStatus.STORING
    world.clock.advance(TIMING.render_deadline)
    await sweep(world)
    await run_like_a_worker(world)
    assert await assert_ended_once(world, user, started.video_id) is VideoStatus.COMPLETED
    await assert_ledger_holds(world, user)


async def test_the_sweeper_expires_holds_whose_videos_never_ended() -> None:
    world = World()
    user = await world.user(credits=30)
    started = await world.start_video(user)
    queue = world.c.job_queue()
    [(submit_id, _)] = await queue.due(world.clock.now())
    await queue.fail(submit_id, error="lost")
    world.clock.advance(TIMING.hold_ttl)  # nobody swept for a day
    swept = await sweep(world)
    assert (swept.videos_failed, swept.holds_expired, swept.credits_released) == (1, 1, 1)
    await run_like_a_worker(world)
    assert await assert_ended_once(world, user, started.video_id) is VideoStatus.FAILED
    balance = await world.balance(user)
    assert (balance.balance, balance.reserved) == (30, 0)
    await assert_ledger_holds(world, user)


async def test_the_sweeper_leaves_healthy_work_alone() -> None:
    world = World()
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.runner.run_due()
    before = world.snapshot()
    swept = await sweep(world)
    assert (swept.jobs_requeued, swept.videos_failed, swept.holds_expired) == (0, 0, 0)
    assert {k: v for k, v in world.snapshot().items() if k != "commits"} == {
        k: v for k, v in before.items() if k != "commits"
    }
    await run_like_a_worker(world)
    assert await assert_ended_once(world, user, started.video_id) is VideoStatus.COMPLETED


async def test_a_result_that_is_not_an_mp4_fails_the_video_and_is_never_stored() -> None:
    html = b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"
    world = World(generator=DyingGenerator(bad_download=html))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await run_like_a_worker(world)
    video = await world.video(started.video_id)
    assert (video.error_reason or "").startswith(
        "the provider returned something that is not an MP4 video"
    )
    assert await assert_ended_once(world, user, started.video_id) is VideoStatus.FAILED
    assert world.storage.objects == {}
    assert (await world.balance(user)).available == 30
    await assert_ledger_holds(world, user)


async def test_runs_of_429s_and_5xxs_are_ridden_out_and_charged_once() -> None:
    scenario = Scenario(
        submit_errors=(FailureKind.RETRYABLE,) * 3, status_errors=6, polls_before_done=2
    )
    world = World(generator=FakeVideoGenerator(default=scenario))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await run_like_a_worker(world)
    assert await assert_ended_once(world, user, started.video_id) is VideoStatus.COMPLETED
    assert world.generator.submit_calls == 4
    await assert_ledger_holds(world, user)


async def test_fatal_errors_fail_the_video_at_once_and_release_it() -> None:
    world = World(
        generator=FakeVideoGenerator(
            rules={
                "rejected": Scenario(submit_errors=(FailureKind.TERMINAL,)),
                "doomed": Scenario(outcome=Outcome.FAIL),
                "stuck": Scenario(outcome=Outcome.NEVER_FINISH),
            }
        )
    )
    user = await world.user(credits=30)
    ids = []
    for word in ("rejected", "doomed", "stuck"):
        script = script_mentioning(word)
        ids.append((await world.start_video(user, script=script)).video_id)
    await run_like_a_worker(world)
    for video_id in ids:
        assert await assert_ended_once(world, user, video_id) is VideoStatus.FAILED
    assert (await world.balance(user)).available == 30
    await assert_ledger_holds(world, user)


async def test_duplicate_and_late_callbacks_racing_polls_charge_once() -> None:
    world = World(generator=FakeVideoGenerator(default=Scenario(polls_before_done=3)))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.runner.run_due()
    task_id = (await world.video(started.video_id)).provider_task_id
    assert task_id is not None
    callback = world.c.handle_video_callback()
    for _ in range(6):  # callbacks arrive twice each, between and before the polls
        await callback.execute(HandleVideoCallbackCommand(task_id))
        await callback.execute(HandleVideoCallbackCommand(task_id))
        await world.runner.run_due()
        world.clock.advance(timedelta(seconds=5))
    await run_like_a_worker(world)
    late = await callback.execute(HandleVideoCallbackCommand(task_id))
    assert not late.scheduled
    assert await assert_ended_once(world, user, started.video_id) is VideoStatus.COMPLETED
    assert world.generator.downloads >= 1
    await assert_ledger_holds(world, user)


async def test_the_sweep_job_defers_the_next_one_and_only_one_waits() -> None:
    world = World()
    await schedule_sweep(world.c)
    await schedule_sweep(world.c)  # a second worker seeds it too
    assert world.c.job_queue().counts() == {"waiting": 1}
    assert await world.runner.run_due() == 1
    [(_, following)] = await world.c.job_queue().due(world.clock.now() + TIMING.sweep_every)
    assert (following.name, following.dedupe_key) == (JobName.SWEEP, SWEEP_KEY)
    assert following.run_at == world.clock.now() + TIMING.sweep_every


async def test_a_sweep_that_crashes_is_logged_and_the_next_one_still_comes() -> None:
    world = World()

    async def broken(_: object) -> int:
        raise RuntimeError("database hiccup")

    world.c.job_queue().requeue_stale = broken  # type: ignore[method-assign]
    await schedule_sweep(world.c)
    await world.runner.run_due()
    assert world.c.job_queue().counts() == {"done": 1, "waiting": 1}
