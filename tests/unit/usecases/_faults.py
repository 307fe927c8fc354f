"""Fault injection for the recovery tests: a worker that dies mid-job, and ledger checks."""

from __future__ import annotations

import attrs
from dependency_injector import providers

from afp_adapters.fakes import FakeVideoGenerator, MemoryMediaStorage
from afp_core.domain.ids import UserId, VideoId
from afp_core.domain.script import Script
from afp_core.domain.video import TERMINAL, VideoStatus
from afp_core.ports.generation import StoredObject, VideoRequest
from afp_core.usecases import SweepStuckWorkCommand, SweepStuckWorkResult
from tests.world import SCRIPT, World


class WorkerDied(BaseException):
    """The process died mid-job (like SIGKILL or `SystemExit`): nothing catches it, so the job
    stays `running` and whatever the handler had not written yet is lost."""


class DyingStorage(MemoryMediaStorage):
    """Storage whose next `crashes` puts kill the worker before anything is stored."""

    def __init__(self, crashes: int = 0) -> None:
        super().__init__()
        self.crashes = crashes

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        if self.crashes:
            self.crashes -= 1
            raise WorkerDied(f"killed while storing {key}")
        return await super().put(key, data, content_type)


class DyingGenerator(FakeVideoGenerator):
    """A provider whose next `crashes` create calls take the task, then the worker dies before
    it hears the task id (the worst case: the render runs and may be billed). `bad_downloads`
    answers downloads with something that is not a video."""

    def __init__(self, *, crashes: int = 0, bad_download: bytes | None = None, **kw: object):
        super().__init__(**kw)  # type: ignore[arg-type]
        self.crashes = crashes
        self.bad_download = bad_download

    async def submit(self, request: VideoRequest) -> str:
        task_id = await super().submit(request)
        if self.crashes:
            self.crashes -= 1
            raise WorkerDied(f"killed after creating {task_id}")
        return task_id

    async def download(self, result_url: str) -> bytes:
        data = await super().download(result_url)
        return self.bad_download if self.bad_download is not None else data


def script_mentioning(word: str) -> Script:
    """The demo script with `word` in its hook (so a `FakeVideoGenerator` rule picks it)."""
    return attrs.evolve(SCRIPT, hook=f"This {word} bottle changed my commute.")


def with_storage(world: World, storage: MemoryMediaStorage) -> World:
    world.c.storage.override(providers.Object(storage))
    world.storage = storage
    return world


async def run_like_a_worker(world: World, max_jobs: int = 10_000) -> int:
    """Run jobs until idle; a dying worker stops the run where it died (its jobs stay
    `running`). Returns how many times a worker died."""
    try:
        await world.run_jobs(max_jobs)
    except WorkerDied:
        return 1
    return 0


async def sweep(world: World) -> SweepStuckWorkResult:
    return await world.c.sweep_stuck_work().execute(SweepStuckWorkCommand())


def running_jobs(world: World) -> int:
    return world.c.job_queue().counts().get("running", 0)


async def assert_ledger_holds(world: World, user: UserId) -> None:
    """L1, L2, L4: no overdraft; balance = sum of entries; reserved = open holds' remainders."""
    balance = await world.balance(user)
    holds = await world.holds(user)
    assert balance.balance == sum(e.amount for e in await world.entries(user))
    assert balance.reserved == sum(h.open for h in holds)
    assert min(balance.balance, balance.reserved, balance.available) >= 0
    for hold in holds:
        assert hold.amount == hold.captured + hold.released + hold.open and hold.open >= 0


async def assert_ended_once(world: World, user: UserId, video_id: VideoId) -> VideoStatus:
    """One terminal state, reached once; charged its price if completed, else nothing (L7)."""
    video = await world.video(video_id)
    assert video.status in TERMINAL
    assert [s for s, _ in video.history if s in TERMINAL] == [video.status]
    usage = [
        e.amount
        for e in await world.entries(user)
        if e.type == "USAGE" and e.hold_id == video.hold_id
    ]
    assert sum(usage) == (-video.price if video.status is VideoStatus.COMPLETED else 0)
    if video.status is VideoStatus.COMPLETED:
        assert video.result_key and world.storage.objects[video.result_key][0][4:8] == b"ftyp"
    return video.status


__all__ = [
    "DyingGenerator",
    "DyingStorage",
    "WorkerDied",
    "assert_ended_once",
    "assert_ledger_holds",
    "run_like_a_worker",
    "running_jobs",
    "script_mentioning",
    "sweep",
    "with_storage",
]
