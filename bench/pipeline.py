"""Whole-pipeline throughput on fakes: N videos started, rendered, stored and settled."""

from __future__ import annotations

import time

from tests.world import World

VIDEOS = 300


async def run() -> None:
    world = World()
    user = await world.user(credits=VIDEOS * 2)
    start = time.perf_counter()
    for n in range(VIDEOS):
        await world.start_video(user, idempotency_key=f"bench-{n}")
    started = time.perf_counter()
    jobs = await world.run_jobs()
    done = time.perf_counter()
    balance = await world.balance(user)
    assert balance.reserved == 0
    assert balance.balance == VIDEOS
    print(f"pipeline start_video                : {VIDEOS / (started - start):10.0f} videos/s")
    print(
        f"pipeline submit+poll+store+settle   : {VIDEOS / (done - started):10.0f} videos/s "
        f"({jobs} jobs, {world.generator.status_calls / VIDEOS:.1f} status calls/video)"
    )
