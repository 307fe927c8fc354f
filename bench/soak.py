"""Soak: 1,000 videos through the real worker against a provider with latency and failures.

Method:
- A fresh migrated database: a SQLite file in a temporary folder (the embedded default), then
  PostgreSQL when reachable (`afp_bench_soak_<random>`, made, migrated and dropped, also on
  error; one line says why when it is skipped).
- Each run is a spawned process of its own, so the peak memory (`ru_maxrss`) is the soak's:
  the producer (StartVideo), the worker loops and the fake provider share that one process.
- The container is the real composition root on the real clock, with two overrides: the
  provider is `ChaosVideoGenerator` (1-20 ms per call, 5% terminal failures, 5% retryable
  errors on submit and on status, renders of 0.5-4 s; callbacks delivered at render end, 10%
  late by 1-5 s, 10% twice, 2% never), whose callbacks run `HandleVideoCallback` as the
  webhook does; and `VideoTiming` is shortened (polls 1, 1, 2, 3 s after the last, submit
  backoff 1-3 s, a sweep every 5 s) so the run takes seconds, not hours.
- USERS users get credits; VIDEOS videos are started through `StartVideo` (unique
  idempotency keys, half `afp-local` at 1 credit, half `veo3_fast` at 10) while the worker
  runs (`JobRunner.run_forever`, LOOPS loops, and the sweeper); the run ends when every video
  is terminal (or TIMEOUT_S passes), then waits for the callbacks still in flight.
- Checks: every video terminal; `reconcile(engine)` finds nothing; every user's balance is
  its credits less the price of its completed videos, nothing reserved; a failed video's hold
  captured nothing, a completed one's captured its price; no callback failed.
- Figures: videos/minute (first start to last terminal), provider calls per video (submit,
  status, download), status calls by what the task was doing when asked, callbacks, and the
  peak RSS. Targets: <= 3 status calls per video on average with callbacks, < 250 MB.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import random
import resource
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from dependency_injector import providers
from sqlalchemy.engine import make_url
from tests.world import PRODUCT, SCRIPT

from afp_adapters.fakes import ChaosVideoGenerator
from afp_adapters.sql import SqlDatabase, SqlJobQueue, reconcile
from afp_adapters.sql import tables as t
from afp_bootstrap import Container, Settings, close_database, job_runner, open_database
from afp_bootstrap.jobs import schedule_sweep
from afp_bootstrap.logs import configure_logging
from afp_core.domain.ids import UserId
from afp_core.domain.policy import VideoTiming
from afp_core.domain.video import TERMINAL, VideoStatus
from afp_core.usecases import (
    CreateUserCommand,
    HandleVideoCallbackCommand,
    StartVideoCommand,
)
from bench._postgres import postgres_database, postgres_problem

VIDEOS = 1_000
USERS = 20
MODELS = ("afp-local", "veo3_fast")  # 1 and 10 credits for an 8 s script
MAX_PRICE = 10
TIMEOUT_S = 600.0
SEED = 6
TARGET_STATUS_PER_VIDEO = 3.0
TARGET_PEAK_MB = 250.0
TIMING = VideoTiming(
    poll_schedule_s=(1, 1, 2, 3),
    submit_backoff_s=(1, 1, 2, 3),
    sweep_every=timedelta(seconds=5),
)
LOOPS = {"sqlite": 1, "postgresql": 8}  # job loops in the worker (1 on SQLite, as `afp worker`)


@dataclass
class SoakReport:
    database: str
    videos: int
    loops: int
    seconds: float = 0.0  # first start to last terminal
    starting_s: float = 0.0  # first start to last start (the producer, beside the worker)
    by_status: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    status_by_phase: dict[str, int] = field(default_factory=dict)
    submit_errors: int = 0
    callbacks: dict[str, int] = field(default_factory=dict)
    callback_errors: list[str] = field(default_factory=list)
    jobs: dict[str, int] = field(default_factory=dict)
    discrepancies: list[str] = field(default_factory=list)  # reconcile and balance checks
    baseline_mb: float = 0.0  # RSS after imports, before the soak
    peak_mb: float = 0.0

    @property
    def terminal(self) -> int:
        return sum(n for status, n in self.by_status.items() if VideoStatus(status) in TERMINAL)

    @property
    def videos_per_minute(self) -> float:
        return self.videos / self.seconds * 60 if self.seconds else 0.0

    def per_video(self, method: str) -> float:
        return self.calls.get(method, 0) / self.videos

    @property
    def status_target_met(self) -> bool:
        return self.per_video("status") <= TARGET_STATUS_PER_VIDEO

    @property
    def memory_target_met(self) -> bool:
        return self.peak_mb < TARGET_PEAK_MB

    @property
    def consistent(self) -> bool:
        return self.terminal == self.videos and not self.discrepancies


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


# ---------------------------------------------------------------- the soak
def _container(database_url: str, generator: ChaosVideoGenerator) -> Container:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, providers="fake", storage_url="memory://"
    )
    c = Container(settings=settings)
    c.video_generator.override(providers.Object(generator))
    c.video_timing.override(providers.Object(TIMING))
    return c


async def _users(c: Container, run: str, videos: int) -> dict[UserId, int]:
    credits = -(-videos // USERS) * MAX_PRICE + 7  # room for all of them, and some left
    made: dict[UserId, int] = {}
    for n in range(USERS):
        result = await c.create_user().execute(
            CreateUserCommand(email=f"soak{n}-{run}@bench.test", starting_credits=credits)
        )
        made[result.user.id] = credits
    return made


async def _check_ledger(c: Container, credits: dict[UserId, int]) -> list[str]:
    """Reconcile, then every user's balance and every hold against its video's outcome."""
    db = c.database()
    assert isinstance(db, SqlDatabase)
    found = [f"{d.invariant} {d.subject}: {d.detail}" for d in await reconcile(db.engine)]
    v, h = t.videos, t.credit_holds
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(
                    v.c.user_id, v.c.id, v.c.status, v.c.price, h.c.captured, h.c.status
                ).select_from(v.join(h, h.c.id == v.c.hold_id))
            )
        ).all()
    charged: Counter[str] = Counter()
    for user_id, video_id, status, price, captured, hold_status in rows:
        expected = price if status == VideoStatus.COMPLETED else 0
        if captured != expected or hold_status == "OPEN":
            found.append(f"L7 {video_id}: {status} video, hold {hold_status} captured {captured}")
        charged[user_id] += expected
    for user_id, start in credits.items():
        async with db.unit_of_work() as uow:
            balance = await uow.ledger.balance(user_id)
        if (balance.balance, balance.reserved) != (start - charged[user_id], 0):
            found.append(
                f"balance {user_id}: {balance.balance} (reserved {balance.reserved}), "
                f"expected {start - charged[user_id]} (0)"
            )
    return found


async def soak(
    database_url: str, *, videos: int = VIDEOS, loops: int = 1, seed: int = SEED
) -> SoakReport:
    """Start `videos` videos, run the worker until all are terminal, check the ledger."""
    report = SoakReport(make_url(database_url).get_backend_name(), videos, loops)
    report.baseline_mb = _peak_mb()
    callbacks: Counter[str] = Counter()
    c: Container | None = None

    async def webhook(task_id: str) -> None:  # what POST /webhooks/kie does after its checks
        assert c is not None
        result = await c.handle_video_callback().execute(HandleVideoCallbackCommand(task_id))
        callbacks["scheduled a poll" if result.scheduled else "ignored"] += 1

    generator = ChaosVideoGenerator(seed, callback=webhook)
    c = _container(database_url, generator)
    await open_database(c, migrate=True)
    try:
        rng = random.Random(seed)  # noqa: S311 - picking models, not secrets
        run = uuid.uuid4().hex[:8]
        credits = await _users(c, run, videos)
        users = list(credits)
        await schedule_sweep(c)
        stop = asyncio.Event()
        runners = [job_runner(c) for _ in range(loops)]
        worker = asyncio.gather(*(r.run_forever(stop, idle_poll_s=0.05, batch=1) for r in runners))
        start = time.monotonic()
        try:
            for n in range(videos):
                await c.start_video().execute(
                    StartVideoCommand(
                        users[n % len(users)],
                        PRODUCT,
                        SCRIPT,
                        model=rng.choice(MODELS),
                        idempotency_key=f"soak-{run}-{n}",
                    )
                )
            report.starting_s = time.monotonic() - start
            count = c.count_videos_by_status()
            while time.monotonic() - start < TIMEOUT_S:
                by_status = await count.execute()
                if sum(by_status[s] for s in TERMINAL) >= videos:
                    break
                await asyncio.sleep(0.1)
            report.seconds = time.monotonic() - start
        finally:
            stop.set()
            await worker
        await asyncio.wait_for(generator.drain(), timeout=30)  # late and duplicate callbacks
        report.by_status = {s.value: n for s, n in (await count.execute()).items() if n}
        _provider_figures(report, generator, callbacks)
        db = c.database()
        assert isinstance(db, SqlDatabase)
        report.jobs = await SqlJobQueue(db.engine).counts()
        report.discrepancies = await _check_ledger(c, credits)
    finally:
        await close_database(c)
    report.peak_mb = _peak_mb()
    return report


def _provider_figures(
    report: SoakReport, generator: ChaosVideoGenerator, callbacks: Counter[str]
) -> None:
    report.calls = dict(generator.calls)
    report.status_by_phase = dict(generator.status_by_phase)
    report.submit_errors = generator.submit_errors
    report.callbacks = {
        "delivered": generator.callbacks_delivered,
        **callbacks,
        "lost by the provider": generator.callbacks_lost,
    }
    report.callback_errors = generator.callback_errors


def _child(database_url: str, videos: int, loops: int, seed: int) -> SoakReport:
    configure_logging(level=logging.WARNING)  # a debug line per domain event would dominate
    return asyncio.run(soak(database_url, videos=videos, loops=loops, seed=seed))


def soak_in_own_process(
    database_url: str, *, videos: int = VIDEOS, loops: int = 1, seed: int = SEED
) -> SoakReport:
    """`soak` in a spawned process, so its peak memory is its own."""
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(_child, database_url, videos, loops, seed).result()


# ---------------------------------------------------------------- databases
@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="afp_soak_") as folder:
        yield f"sqlite:///{Path(folder) / 'soak.db'}"


# ---------------------------------------------------------------- report
def _met(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def print_report(r: SoakReport) -> None:
    statuses = ", ".join(f"{s} {n}" for s, n in sorted(r.by_status.items()))
    print(
        f"soak    {r.database}: {r.videos} videos, {r.loops} worker loop(s): "
        f"{r.terminal}/{r.videos} terminal ({statuses}) in {r.seconds:.1f} s"
    )
    print(
        f"  throughput            : {r.videos_per_minute:10.0f} videos/minute "
        f"(all started after {r.starting_s:.1f} s, by StartVideo in the same process)"
    )
    print(
        f"  provider calls/video  : submit {r.per_video('submit'):.2f} "
        f"({r.submit_errors} retryable errors), status {r.per_video('status'):.2f}, "
        f"download {r.per_video('download'):.2f}"
    )
    phases = ", ".join(f"{k} {v}" for k, v in sorted(r.status_by_phase.items()))
    print(f"  status calls by phase : {phases}")
    print(
        "    (running: a schedule poll before the render ended; after_callback: the render "
        "ended and its callback was in; before_callback: ended, callback late or lost)"
    )
    print("  callbacks             : " + ", ".join(f"{k} {v}" for k, v in r.callbacks.items()))
    print("  jobs                  : " + ", ".join(f"{k} {v}" for k, v in sorted(r.jobs.items())))
    print(
        f"  peak memory (RSS)     : {r.peak_mb:10.1f} MB (after imports: {r.baseline_mb:.1f} MB; "
        "producer, worker and fake provider in one process)"
    )
    ledger = "reconciles" if not r.discrepancies else f"{len(r.discrepancies)} DISCREPANCIES"
    print(
        f"  ledger                : {ledger} (reconcile; balance = credits - completed prices; "
        f"failed videos charged nothing){'' if not r.callback_errors else ' CALLBACK ERRORS'}"
    )
    for problem in (r.discrepancies + r.callback_errors)[:5]:
        print(f"    {problem}")
    print(
        f"  targets: <= {TARGET_STATUS_PER_VIDEO:.0f} status calls/video with callbacks: "
        f"{_met(r.status_target_met)} ({r.per_video('status'):.2f}); "
        f"peak < {TARGET_PEAK_MB:.0f} MB: {_met(r.memory_target_met)} ({r.peak_mb:.0f} MB); "
        f"all terminal and consistent: {_met(r.consistent and not r.callback_errors)}"
    )


def run() -> None:
    with sqlite_database() as url:
        print_report(soak_in_own_process(url, loops=LOOPS["sqlite"]))
    problem = postgres_problem()
    if problem is not None:
        print(f"soak    PostgreSQL run skipped: {problem}")
        return
    with postgres_database("soak") as url:
        print_report(soak_in_own_process(url, loops=LOOPS["postgresql"]))
