"""Bulk batches: a 10,000-row CSV validated, quoted, reserved and queued; items settled per second.

Method:
- The CSV: ROWS rows, one distinct product URL each over 50 shop hosts, with the optional
  columns `model`, `duration_s`, `aspect_ratio`, `tone` and `language` set on some rows (every
  third asks for `afp-local` at 6 s, every fifth for 16:9, ...) and empty elsewhere (the batch
  defaults: `veo3_fast`, 8 s, 9:16).
- parse: `parse_batch_csv` on the CSV text (what `POST /bulk/start-batch` does with an upload).
  quote: `QuoteBatch` (every row checked and priced, the user's available credits read; nothing
  written). start: `StartBatch.execute`, which checks and prices every row again, then writes
  the batch, its items, one hold for the total and the first window's `process_batch_item`
  jobs in one unit of work. total = parse + quote + start.
- Databases: a migrated SQLite file in a temporary folder (the embedded default), then a
  scratch PostgreSQL database (`afp_bench_batch_<random>`, made, migrated and dropped, also on
  error; one line says why when it is skipped). The container is the real composition root on
  fake providers, with `batch_max_rows` = ROWS and the other batch settings at their defaults.
- Each of REPEATS runs starts one more batch of the same CSV for the same user (who has credits
  for all of them) in the same database; the median of each phase is printed beside the
  target: ROWS rows accepted (total) in under TARGET_S seconds, PASS or MISS per database.
- Settling, each run in a fresh database of each kind: a batch is started and the
  embedded worker (`JobRunner.run_forever`, `loops` loops) runs until `items` of its items
  are final, on the fake scraper, script writer, moderator and video generator (no MP4 is
  rendered; a poll is due at once), so the figure is AFP's own work per item:
  process_batch_item, submit, poll, settle, dispatching the next into the batch's window.
  Items settled per second is `items` over the time from the worker's start to the last of
  them final. Runs (rows, items, loops): a SETTLE_ITEMS-row batch with 1 loop (as `afp
  worker` on SQLite) and, on PostgreSQL, with LOOPS_PG loops too. The progress poll (every
  50 ms) asks for the counts only (`with_items=False`), as `afp batch run` does.
- Per-item cost against batch size, 1 loop, each in a fresh database: the items of a
  SMALL_ROWS-row batch, then the first LARGE_ITEMS items of a ROWS-row batch (as many);
  the line compares the two figures, target: the ROWS-row one at least SCALING_TARGET of the
  SMALL_ROWS-row one. Work on an item reads the batch's header, that item and the next waiting
  ones, never the whole batch, so it should not grow with the batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import attrs
from dependency_injector import providers

from afp_bootstrap import Container, Settings, close_database, job_runner, open_database
from afp_bootstrap.logs import configure_logging
from afp_core.domain.batch import BatchRow
from afp_core.domain.batch_csv import parse_batch_csv
from afp_core.domain.batch_pricing import BatchDefaults
from afp_core.domain.ids import BatchId, UserId
from afp_core.domain.policy import VideoTiming
from afp_core.usecases import (
    CreateUserCommand,
    GetBatchStatusQuery,
    QuoteBatchQuery,
    StartBatchCommand,
)
from bench._postgres import postgres_database, postgres_problem

ROWS = 10_000
REPEATS = 3
TARGET_S = 2.0
SETTLE_ITEMS = 500
SMALL_ROWS = 100  # the batch the ROWS-row one is compared with
LARGE_ITEMS = SMALL_ROWS  # items settled of each of the two (the first ones)
SCALING_TARGET = 0.5  # the ROWS-row figure over the SMALL_ROWS-row one, at least
LOOPS_PG = 8
SETTLE_TIMEOUT_S = 180.0
DEFAULTS = BatchDefaults()  # veo3_fast, 8 s, 9:16
HEADER = "url,model,duration_s,aspect_ratio,tone,language"
TIMING = VideoTiming(poll_schedule_s=(0,), submit_backoff_s=(1,))  # no waiting on the fake
Job = Callable[[str, str], Awaitable[None]]


def batch_csv(rows: int, *, run: str = "bench") -> str:
    """`rows` distinct product URLs with a few optional columns set on some rows."""
    lines = [HEADER]
    for n in range(rows):
        local = n % 3 == 0
        model = "afp-local" if local else ""
        duration = "6" if local else ""
        aspect = "16:9" if n % 5 == 0 else ""
        tone = "calm" if n % 7 == 0 else ""
        language = "de" if n % 11 == 0 else ""
        url = f"https://shop{n % 50}.example.com/products/{run}-item-{n}"
        lines.append(f"{url},{model},{duration},{aspect},{tone},{language}")
    return "\r\n".join(lines) + "\r\n"


# ---------------------------------------------------------------- the container
def _container(database_url: str) -> Container:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        providers="fake",
        video_provider="fake",
        storage_url="memory://",
        batch_max_rows=ROWS,
    )
    c = Container(settings=settings)
    c.video_timing.override(providers.Object(TIMING))
    return c


async def _user(c: Container, credits: int) -> UserId:
    email = f"batch-{uuid.uuid4().hex[:8]}@bench.test"
    made = await c.create_user().execute(CreateUserCommand(email, starting_credits=credits))
    return made.user.id


def _quote(user: UserId, rows: tuple[BatchRow, ...]) -> QuoteBatchQuery:
    return QuoteBatchQuery(user, rows, **attrs.asdict(DEFAULTS))


def _start(user: UserId, rows: tuple[BatchRow, ...]) -> StartBatchCommand:
    return StartBatchCommand(user, rows, **attrs.asdict(DEFAULTS))


async def _price(c: Container, rows: tuple[BatchRow, ...]) -> int:
    """The batch's total (a user with no credits may ask for a quote)."""
    return (await c.quote_batch().execute(_quote(await _user(c, 0), rows))).total


# ---------------------------------------------------------------- acceptance
@dataclass
class AcceptReport:
    database: str
    rows: int
    parse_s: list[float] = field(default_factory=list)
    quote_s: list[float] = field(default_factory=list)
    start_s: list[float] = field(default_factory=list)
    credits: int = 0

    @property
    def total_s(self) -> list[float]:
        return [sum(p) for p in zip(self.parse_s, self.quote_s, self.start_s, strict=True)]

    def median(self, phase: str) -> float:
        values: list[float] = getattr(self, f"{phase}_s")
        return statistics.median(values) if values else float("nan")

    @property
    def met(self) -> bool:
        return self.median("total") < TARGET_S


async def accept(database_url: str, label: str, *, rows: int = ROWS) -> AcceptReport:
    """REPEATS times: parse, quote and start a `rows`-row batch, each phase timed."""
    report = AcceptReport(label, rows)
    text = batch_csv(rows)
    c = _container(database_url)
    await open_database(c, migrate=True)
    try:
        one = await _price(c, parse_batch_csv(text, max_rows=rows))
        user = await _user(c, one * REPEATS)
        quote_batch, start_batch = c.quote_batch(), c.start_batch()
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            parsed = parse_batch_csv(text, max_rows=rows)
            t1 = time.perf_counter()
            quoted = await quote_batch.execute(_quote(user, parsed))
            t2 = time.perf_counter()
            started = await start_batch.execute(_start(user, parsed))
            t3 = time.perf_counter()
            assert started.total_items == rows, started
            assert started.credits_reserved == quoted.total == one, (started, quoted.total)
            report.parse_s.append(t1 - t0)
            report.quote_s.append(t2 - t1)
            report.start_s.append(t3 - t2)
        report.credits = one
    finally:
        await close_database(c)
    return report


# ---------------------------------------------------------------- settling
@dataclass
class SettleReport:
    database: str
    batch_rows: int
    items: int
    loops: int
    window: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def settled(self) -> int:
        return sum(self.by_status.values())

    @property
    def per_second(self) -> float:
        return self.settled / self.seconds if self.seconds else 0.0


async def settle(
    database_url: str, label: str, *, rows: int, items: int = SETTLE_ITEMS, loops: int = 1
) -> SettleReport:
    """Start a `rows`-row batch, then run the worker until `items` of its items are final."""
    c = _container(database_url)
    report = SettleReport(label, rows, items, loops, window=c.batch_limits().user_concurrency)
    await open_database(c, migrate=True)
    try:
        parsed = parse_batch_csv(batch_csv(rows, run="settle"), max_rows=rows)
        user = await _user(c, await _price(c, parsed))
        started = await c.start_batch().execute(_start(user, parsed))
        status = c.get_batch_status()
        # the progress poll reads the batch's counts only, so it costs the same at any size
        query = GetBatchStatusQuery(user, BatchId(started.batch_id), with_items=False)
        stop = asyncio.Event()
        runners = [job_runner(c) for _ in range(loops)]
        t0 = time.perf_counter()
        worker = asyncio.gather(*(r.run_forever(stop, idle_poll_s=0.02) for r in runners))
        try:
            while time.perf_counter() - t0 < SETTLE_TIMEOUT_S:
                if (await status.execute(query)).progress.processed >= items:
                    break
                await asyncio.sleep(0.05)
            report.seconds = time.perf_counter() - t0
        finally:
            stop.set()
            await worker
        found = await status.execute(attrs.evolve(query, with_items=True))
        for item in found.items:
            if item.status.is_final:
                key = item.status.value
                report.by_status[key] = report.by_status.get(key, 0) + 1
    finally:
        await close_database(c)
    return report


# ---------------------------------------------------------------- databases and report
@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="afp_batch_") as folder:
        yield f"sqlite:///{Path(folder) / 'batch.db'}"


async def each_database(job: Job, *, sqlite: bool = True) -> None:
    """`job(url, label)` on a fresh SQLite file, then on a scratch PostgreSQL database."""
    if sqlite:
        with sqlite_database() as url:
            await job(url, "SQLite")
    problem = postgres_problem()
    if problem is not None:
        print(f"batch   PostgreSQL skipped: {problem}")
        return
    with postgres_database("batch") as url:
        await job(url, "PostgreSQL")


def print_accept(r: AcceptReport) -> None:
    print(
        f"batch   {r.database:<10} {r.rows} rows accepted: parse {r.median('parse'):5.3f} s, "
        f"quote {r.median('quote'):5.3f} s, start {r.median('start'):5.3f} s, "
        f"total {r.median('total'):5.3f} s  target < {TARGET_S:.1f} s: "
        f"{'PASS' if r.met else 'MISS'}  (median of {len(r.start_s)}; "
        f"{r.credits} credits held per batch)"
    )


def print_settle(r: SettleReport) -> None:
    statuses = ", ".join(f"{s} {n}" for s, n in sorted(r.by_status.items()))
    late = "" if r.settled >= r.items else f" TIMED OUT with {r.settled}/{r.items} settled"
    print(
        f"batch   {r.database:<10} {r.per_second:8.1f} items settled/s: {r.items} items of a "
        f"{r.batch_rows}-row batch in {r.seconds:.1f} s ({r.loops} worker loop(s), window "
        f"{r.window}; {statuses}){late}"
    )


def print_scaling(small: SettleReport, large: SettleReport) -> None:
    ratio = large.per_second / small.per_second if small.per_second else 0.0
    print(
        f"batch   {small.database:<10} per-item cost vs batch size: {small.per_second:.1f} "
        f"items settled/s ({small.batch_rows}-row batch) vs {large.per_second:.1f} "
        f"({large.batch_rows}-row batch), first {large.items} items of each, 1 worker loop: "
        f"ratio {ratio:.2f}  target >= {SCALING_TARGET:.1f}: "
        f"{'PASS' if ratio >= SCALING_TARGET else 'MISS'}"
    )


async def main() -> None:
    async def accepting(url: str, label: str) -> None:
        print_accept(await accept(url, label))

    def settling(rows: int, items: int, loops: int) -> Job:
        async def job(url: str, label: str) -> None:
            print_settle(await settle(url, label, rows=rows, items=items, loops=loops))

        return job

    await each_database(accepting)
    await each_database(settling(SETTLE_ITEMS, SETTLE_ITEMS, 1))
    await each_database(settling(SETTLE_ITEMS, SETTLE_ITEMS, LOOPS_PG), sqlite=False)

    small: dict[str, SettleReport] = {}

    async def small_batch(url: str, label: str) -> None:
        small[label] = await settle(url, label, rows=SMALL_ROWS, items=SMALL_ROWS)
        print_settle(small[label])

    async def large_batch(url: str, label: str) -> None:
        large = await settle(url, label, rows=ROWS, items=LARGE_ITEMS)
        print_settle(large)
        print_scaling(small[label], large)

    await each_database(small_batch)
    await each_database(large_batch)


def run() -> None:
    configure_logging(level=logging.WARNING)  # a debug line per domain event would dominate
    asyncio.run(main())


if __name__ == "__main__":
    run()
