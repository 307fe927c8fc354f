"""Random fault sequences per video on the in-memory world: provider errors, failures,
renders that never end, callbacks at any moment and workers that die mid-job. Whatever
happens, after the lease and the sweeper every video ends exactly once, only completed ones
are charged (their price, once), and the ledger adds up."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from afp_adapters.fakes import Outcome, Scenario
from afp_core.domain.policy import VideoTiming
from afp_core.domain.video import FailureKind, VideoStatus
from afp_core.usecases import HandleVideoCallbackCommand
from tests.unit.usecases._faults import (
    DyingGenerator,
    DyingStorage,
    WorkerDied,
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

scenarios = st.builds(
    Scenario,
    outcome=st.sampled_from(Outcome),
    polls_before_done=st.integers(0, 3),
    submit_errors=st.lists(
        st.sampled_from([FailureKind.RETRYABLE, FailureKind.TERMINAL, FailureKind.OUT_OF_CREDITS]),
        max_size=3,
    ).map(tuple),
    status_errors=st.integers(0, 4),
)


@st.composite
def runs(draw: st.DrawFn) -> dict[str, object]:
    return {
        "scenarios": draw(st.lists(scenarios, min_size=1, max_size=3)),
        "submit_crashes": draw(st.integers(0, 2)),
        "store_crashes": draw(st.integers(0, 2)),
        "callbacks": draw(st.lists(st.integers(0, 20), max_size=6)),  # after that many jobs
    }


async def play(run: dict[str, object]) -> None:
    scenarios_: list[Scenario] = run["scenarios"]  # type: ignore[assignment]
    rules = {f"kw{n}x": s for n, s in enumerate(scenarios_)}
    generator = DyingGenerator(crashes=run["submit_crashes"], rules=rules)  # type: ignore[arg-type]
    world = with_storage(World(generator=generator), DyingStorage(run["store_crashes"]))  # type: ignore[arg-type]
    user = await world.user(credits=100)
    videos = []
    for keyword in rules:
        script = script_mentioning(keyword)
        videos.append((await world.start_video(user, script=script)).video_id)
    callbacks = sorted(run["callbacks"])  # type: ignore[type-var]
    for _ in range(40):  # jobs, callbacks, dead workers, lease, sweeper — until all ended
        try:
            for _ in range(25):
                while callbacks and callbacks[0] <= world.runner.ran:
                    callbacks.pop(0)
                    for task_id in world.generator.task_ids():
                        await world.c.handle_video_callback().execute(
                            HandleVideoCallbackCommand(task_id)
                        )
                if not await world.runner.run_due():
                    next_at = await world.c.job_queue().next_run_at()
                    if next_at is None:
                        break
                    world.clock.set(max(next_at, world.clock.now()))
        except WorkerDied:
            pass
        if running_jobs(world):
            world.clock.advance(TIMING.job_lease + timedelta(seconds=1))
        ended = [(await world.video(v)).status.is_terminal for v in videos]
        if all(ended) and not running_jobs(world):
            break
        await sweep(world)
        if not running_jobs(world) and await world.c.job_queue().next_run_at() is None:
            world.clock.advance(TIMING.render_deadline)  # nothing queued: let deadlines pass
    assert await run_like_a_worker(world) == 0
    for video_id in videos:
        status = await assert_ended_once(world, user, video_id)
        assert status in (VideoStatus.COMPLETED, VideoStatus.FAILED)
    await assert_ledger_holds(world, user)
    assert (await world.balance(user)).reserved == 0


@given(runs())
def test_any_fault_sequence_ends_every_video_once_and_the_ledger_adds_up(
    run: dict[str, object],
) -> None:
    asyncio.run(play(run))
