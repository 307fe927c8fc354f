"""Contract for what the sweeper reads and repairs: stuck videos and jobs of dead workers.

Ports only (`store.uow()`, `store.queue`), so the in-memory reference and the SQL adapters
answer alike. The queue is never called inside an open unit of work.
"""

from __future__ import annotations

import attrs
import pytest

from afp_core.domain.jobs import Job, JobName
from afp_core.domain.video import VideoStatus
from tests.contract.conftest import Store
from tests.contract.test_repositories_content import ALICE, a_video, add_users, at, committed

pytestmark = pytest.mark.contract


def a_job(key: str | None = None, *, minutes: float = 0) -> Job:
    return Job(JobName.POLL_VIDEO, {"video_id": "v-1"}, run_at=at(minutes), dedupe_key=key)


async def test_a_job_running_past_its_lease_goes_back_to_waiting_once(store: Store) -> None:
    await committed(store, lambda uow: uow.jobs.defer(a_job("poll:v-1")))
    [(job_id, _)] = await store.queue.due(at(1))  # claimed at minute 1; its worker dies
    assert await store.queue.requeue_stale(at(1)) == 0  # not older than the lease yet
    assert await store.queue.next_run_at() is None
    assert await store.queue.requeue_stale(at(2)) == 1
    assert await store.queue.requeue_stale(at(2)) == 0
    [(again_id, again)] = await store.queue.due(at(2))
    assert again_id == job_id and again.attempts == 1 and again.dedupe_key == "poll:v-1"


async def test_finished_and_waiting_jobs_are_left_alone(store: Store) -> None:
    async with store.uow() as uow:
        for n in range(3):
            await uow.jobs.defer(a_job(minutes=n))
        await uow.commit()
    [(done_id, _), (failed_id, _)] = await store.queue.due(at(1))
    await store.queue.complete(done_id)
    await store.queue.fail(failed_id, error="gave up")
    assert await store.queue.requeue_stale(at(60)) == 0
    assert [job.run_at for _, job in await store.queue.due(at(60))] == [at(2)]


async def test_a_stale_job_whose_key_is_waiting_again_is_dropped_not_doubled(
    store: Store,
) -> None:
    await committed(store, lambda uow: uow.jobs.defer(a_job("sweep")))
    await store.queue.due(at(0))
    await committed(store, lambda uow: uow.jobs.defer(a_job("sweep", minutes=5)))
    assert await store.queue.requeue_stale(at(10)) == 0
    claimed = await store.queue.due(at(10))
    assert [job.run_at for _, job in claimed] == [at(5)]
    assert await store.queue.next_run_at() is None


async def test_stuck_videos_are_those_past_their_deadline_or_long_in_a_create_call(
    store: Store,
) -> None:
    await add_users(store, ALICE)
    in_call = attrs.evolve(a_video("v-in-call", created_at=at(50)), submit_started_at=at(51))
    recent_call = attrs.evolve(a_video("v-recent", created_at=at(50)), submit_started_at=at(58))
    videos = [
        a_video("v-late-queued"),  # deadline: minute 60
        a_video("v-late-rendering", status=VideoStatus.RENDERING, task_id="t-1"),
        a_video("v-late-storing", status=VideoStatus.STORING, task_id="t-2"),
        a_video("v-done", status=VideoStatus.COMPLETED, task_id="t-3"),
        a_video("v-failed", status=VideoStatus.FAILED),
        a_video("v-on-time", created_at=at(30), status=VideoStatus.SUBMITTED, task_id="t-4"),
        in_call,
        recent_call,
    ]

    async def add_all(uow: object) -> None:
        for video in videos:
            await uow.videos.add(video)  # type: ignore[attr-defined]

    await committed(store, add_all)
    async with store.uow() as uow:
        stuck = await uow.videos.stuck(at(60), submit_started_before=at(55))
        first = await uow.videos.stuck(at(60), submit_started_before=at(55), limit=1)
    assert sorted(v.id for v in stuck) == [
        "v-in-call",
        "v-late-queued",
        "v-late-rendering",
        "v-late-storing",
    ]
    assert [v.id for v in stuck][-1] == "v-in-call"  # earliest deadline first
    assert len(first) == 1
    assert next(v for v in stuck if v.id == "v-in-call").submit_started_at == at(51)
