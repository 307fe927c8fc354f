"""Ledger throughput, in memory and on PostgreSQL.

In memory (cheap, printed first): hold+capture cycles through the in-memory unit of work,
against the bare domain aggregate (`CreditAccount`) as the reference measured in the same run.

On PostgreSQL (the acceptance figure): holds per second through `SqlDatabase`, printed beside
a raw `pgbench` single-row `UPDATE` on the same server, in the same run, as a ratio.

Method:
- The bench makes its own database (`afp_bench_<random>`), migrates it with `upgrade` and
  drops it at the end, also on error. If PostgreSQL is unreachable it says so in one line and
  skips these figures.
- Seed: ACCOUNTS users, each with SEED_CREDITS, written in bulk through SQLAlchemy Core: the
  user row carries the balance and one GRANT entry in `transactions` matches it, so the
  ledger's invariant (balance == sum of entries) holds from the start.
- AFP case: N asyncio clients, each looping `hold` of 1 credit, one unit of work per hold
  (`async with db.unit_of_work() as uow: hold; commit`), unique keys, `pool_size` = clients.
  "hot" puts every hold on one account; "spread" picks the account uniformly at random among
  ACCOUNTS. After WARMUP_S the holds completed during the next MEASURE_S are counted.
  What one such hold sends (docs/ledger.md, "PostgreSQL: the hold's fast path"): two round
  trips, `BEGIN` + a non-locking check that claims the key at `hold()`, then the account row's
  update, the hold row and the receipt in one statement pipelined with `COMMIT` at `commit()`,
  so the account row is locked only inside the server, as pgbench's autocommit `UPDATE` holds
  its row. The transaction still writes four rows to pgbench's one.
- Asyncio clients in one Python process share one core, so every case runs twice: all
  clients in this process, then split over PROCESSES spawned OS processes (each with its own
  engine and pool). The better figure is reported; the "setup" column names it, with each
  process's CPU use over the window (100% = one core saturated) and the other setup's figure.
- pgbench case: tables `bench_hot` (1 row) and `bench_spread` (ACCOUNTS rows) in the same
  database; a script of one `UPDATE ... SET n = n + 1 WHERE id = ...` (`id = 1`, or
  `random(1, ACCOUNTS)`), `pgbench -n -c N -j 2 -T MEASURE_S`; the tps "without initial
  connection time" is the figure.
- Tables touched by a case are vacuumed before it, so no case pays for the previous one's
  dead tuples.
- Ratio = AFP holds/s / pgbench tps. Target: hot row, 8 clients, ratio >= TARGET_RATIO.
- Ceiling (context): pgbench sending the hold's own statements (`hold_sql_script`, the
  adapter's SQL with the values written in), hot row, 8 clients. No client sending those
  statements does better than pgbench does, so ceiling / UPDATE bounds the ratio on this
  server and machine; AFP / ceiling is what the Python side costs.
- Afterwards every account is checked: balance == sum(transactions.amount) and
  reserved == sum of its open holds' remainders; anything else raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import random
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from afp_adapters.fakes import InMemoryDatabase, SequentialIds
from afp_adapters.sql import SqlDatabase, upgrade
from afp_adapters.sql import ledger as ledger_sql
from afp_adapters.sql import tables as t
from afp_adapters.system import UlidIdGenerator
from afp_core.domain.ids import EntryId, HoldId, UserId
from afp_core.domain.ledger import CreditAccount, EntryType
from afp_core.domain.users import User

CYCLES = 5_000
NOW = datetime(2026, 1, 1, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)

ADMIN_URL = os.environ.get(
    "AFP_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ACCOUNTS = 10_000
SEED_CREDITS = 10_000_000
CLIENTS = (8, 32)
WARMUP_S = 1.0
MEASURE_S = 5.0
PROCESSES = 2
BARRIER_TIMEOUT_S = 60.0
TARGET_RATIO = 0.50
HOT = "hot"
SPREAD = "spread"


# ---------------------------------------------------------------- in memory
def reference_cycles_per_s() -> float:
    account = CreditAccount(UserId("u"))
    account.credit((EntryId("a"), EntryId("b")), CYCLES * 2, EntryType.GRANT, NOW)
    start = time.perf_counter()
    for n in range(CYCLES):
        hold = account.hold(HoldId(f"h{n}"), 2, NOW, expires_at=LATER)
        account.capture(hold, 2, EntryId(f"e{n}"), NOW)
    return CYCLES / (time.perf_counter() - start)


async def ledger_cycles_per_s() -> float:
    db = InMemoryDatabase(SequentialIds())
    user = UserId("u")
    async with db.unit_of_work() as uow:
        await uow.users.add(User(id=user, email="bench@ledger.test", created_at=NOW))
        await uow.ledger.credit(user, CYCLES * 2, EntryType.GRANT, key="seed", now=NOW)
        await uow.commit()
    start = time.perf_counter()
    for n in range(CYCLES):
        async with db.unit_of_work() as uow:
            receipt = await uow.ledger.hold(user, 2, key=f"h{n}", now=NOW, expires_at=LATER)
            assert receipt.hold_id is not None
            await uow.ledger.capture(user, receipt.hold_id, 2, key=f"c{n}", now=NOW)
            await uow.commit()
    return CYCLES / (time.perf_counter() - start)


async def in_memory() -> None:
    reference = reference_cycles_per_s()
    measured = await ledger_cycles_per_s()
    print(f"ledger  domain aggregate (reference): {reference:10.0f} hold+capture/s")
    print(
        f"ledger  in-memory unit of work      : {measured:10.0f} hold+capture/s "
        f"({measured / reference:.2f}x reference, {CYCLES} cycles)"
    )


# ---------------------------------------------------------------- the bench database
def account_id(n: int) -> UserId:
    return UserId(f"bench{n:05d}")


HOT_ACCOUNT = account_id(0)


def _database_url(name: str) -> str:
    url = make_url(ADMIN_URL).set(database=name, drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    """The URL as libpq (psycopg, pgbench) reads it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    async with await psycopg.AsyncConnection.connect(
        _libpq(ADMIN_URL), autocommit=True, connect_timeout=3
    ) as conn:
        await conn.execute(sql)  # type: ignore[arg-type,unused-ignore]  # not LiteralString


async def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    if shutil.which("pgbench") is None:
        return "pgbench is not on PATH"
    try:
        await _admin("SELECT 1")
    except psycopg.Error as exc:
        where = make_url(ADMIN_URL)
        return f"cannot use {where.host}:{where.port}: {str(exc).strip().splitlines()[0]}"
    return None


@contextlib.asynccontextmanager
async def bench_database() -> AsyncIterator[str]:
    """A fresh, migrated database; dropped afterwards whatever happens."""
    name = f"afp_bench_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        url = _database_url(name)
        await upgrade(url)
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def seed(url: str) -> None:
    """ACCOUNTS users with SEED_CREDITS each, and the GRANT entries that account for them;
    plus the two pgbench tables."""
    now = datetime.now(UTC)
    users = [
        {
            "id": account_id(n),
            "email": f"{account_id(n)}@bench.test",
            "role": "user",
            "plan": "FREE",
            "password_hash": None,
            "credits_balance": SEED_CREDITS,
            "credits_reserved": 0,
            "credits_debt": 0,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(ACCOUNTS)
    ]
    grants = [
        {
            "id": f"seed{n:05d}",
            "user_id": account_id(n),
            "type": EntryType.GRANT.value,
            "amount": SEED_CREDITS,
            "balance_after": SEED_CREDITS,
            "reason": "bench seed",
            "created_at": now,
        }
        for n in range(ACCOUNTS)
    ]
    db = SqlDatabase.from_url(url, UlidIdGenerator(), pool_size=1)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(t.users.insert(), users)
            await conn.execute(t.transactions.insert(), grants)
            await conn.exec_driver_sql(
                "CREATE TABLE bench_hot (id integer PRIMARY KEY, n bigint NOT NULL)"
            )
            await conn.exec_driver_sql("INSERT INTO bench_hot VALUES (1, 0)")
            await conn.exec_driver_sql(
                "CREATE TABLE bench_spread (id integer PRIMARY KEY, n bigint NOT NULL)"
            )
            await conn.execute(
                sa.text("INSERT INTO bench_spread SELECT g, 0 FROM generate_series(1, :n) g"),
                {"n": ACCOUNTS},
            )
    finally:
        await db.dispose()


async def vacuum(url: str) -> None:
    async with await psycopg.AsyncConnection.connect(_libpq(url), autocommit=True) as conn:
        await conn.execute(
            "VACUUM ANALYZE users, credit_holds, idempotency_keys, bench_hot, bench_spread"
        )


# ---------------------------------------------------------------- AFP holds
@dataclass(frozen=True)
class Tally:
    holds: int  # completed inside the measured window
    cpu_s: float  # this process's CPU time over the window


async def _client(db: SqlDatabase, case: str, tag: str, start: float, end: float) -> int:
    """Hold 1 credit per unit of work until `end`; the number that completed in the window."""
    rng = random.Random(tag)  # noqa: S311 - picking accounts, not secrets
    now = datetime.now(UTC)
    expires_at = now + timedelta(hours=1)
    counted = n = 0
    while time.monotonic() < end:
        user = HOT_ACCOUNT if case == HOT else account_id(rng.randrange(ACCOUNTS))
        async with db.unit_of_work() as uow:
            receipt = await uow.ledger.hold(
                user, 1, key=f"{tag}-{n}", now=now, expires_at=expires_at
            )
            await uow.commit()
        assert receipt.hold_id is not None
        n += 1
        counted += start <= time.monotonic() < end
    return counted


async def drive(url: str, case: str, clients: int, barrier: Barrier | None = None) -> Tally:
    """Run `clients` asyncio clients in this process for WARMUP_S + MEASURE_S."""
    db = SqlDatabase.from_url(url, UlidIdGenerator(), pool_size=clients)
    try:
        if barrier is not None:  # every process starts the clock together
            await asyncio.to_thread(barrier.wait)  # BrokenBarrierError if a sibling died
        start = time.monotonic() + WARMUP_S
        end = start + MEASURE_S
        run = uuid.uuid4().hex[:8]
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(_client(db, case, f"{run}-{c}", start, end))
                for c in range(clients)
            ]
            await asyncio.sleep(start - time.monotonic())
            cpu_start = time.process_time()
            await asyncio.sleep(end - time.monotonic())
            cpu_s = time.process_time() - cpu_start
        return Tally(sum(task.result() for task in tasks), cpu_s)
    finally:
        await db.dispose()


_SHARED: dict[str, Barrier] = {}  # what a spawned worker inherits from its pool


def _inherit(barrier: Barrier) -> None:
    _SHARED["barrier"] = barrier


def _worker(url: str, case: str, clients: int) -> Tally:
    """One spawned process's share of the clients."""
    return asyncio.run(drive(url, case, clients, _SHARED["barrier"]))


async def drive_processes(url: str, case: str, clients: int, processes: int) -> list[Tally]:
    """The clients split over `processes` spawned processes, each with its own engine."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(processes, timeout=BARRIER_TIMEOUT_S)
    shares = [clients // processes + (p < clients % processes) for p in range(processes)]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(
        processes, mp_context=ctx, initializer=_inherit, initargs=(barrier,)
    ) as pool:
        runs = [loop.run_in_executor(pool, _worker, url, case, share) for share in shares]
        return list(await asyncio.gather(*runs))


@dataclass(frozen=True)
class Measured:
    holds_per_s: float
    setup: str


def _cpu(tallies: Sequence[Tally]) -> str:
    return "+".join(f"{tally.cpu_s / MEASURE_S:.0%}" for tally in tallies)


async def measure_afp(url: str, case: str, clients: int) -> Measured:
    """Holds/s with the clients in this process and split over PROCESSES; the better one."""
    await vacuum(url)
    one = await drive(url, case, clients)
    await vacuum(url)
    split = await drive_processes(url, case, clients, PROCESSES)
    one_rate = one.holds / MEASURE_S
    split_rate = sum(tally.holds for tally in split) / MEASURE_S
    if one_rate >= split_rate:
        return Measured(one_rate, f"1 proc (cpu {_cpu([one])}); {PROCESSES} procs {split_rate:.0f}")
    return Measured(
        split_rate,
        f"{PROCESSES} procs (cpu {_cpu(split)}); 1 proc {one_rate:.0f} (cpu {_cpu([one])})",
    )


# ---------------------------------------------------------------- pgbench
HOT_TX = "hot-tx"
SCRIPTS = {
    HOT: "UPDATE bench_hot SET n = n + 1 WHERE id = 1;\n",
    # context only: the same UPDATE inside an explicit transaction, as a ledger write must be
    HOT_TX: "BEGIN;\nUPDATE bench_hot SET n = n + 1 WHERE id = 1;\nEND;\n",
    SPREAD: f"\\set id random(1, {ACCOUNTS})\nUPDATE bench_spread SET n = n + 1 WHERE id = :id;\n",
}
TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)
HOLD_SQL = "hold-sql"

# The hold's own statements as pgbench sends them: the adapter's two SQL texts with the
# values AFP would bind written in as SQL (pgbench variables are numbers only, and it would
# read a colon inside a string literal as one: hence chr(58)).
_HOLD_VALUES = {
    "user_id": f"'{HOT_ACCOUNT}'",
    "scope": f"('ledger' || chr(58) || '{HOT_ACCOUNT}')",
    "key": "('k' || :n::text)",
    "hash": "'" + "0" * 64 + "'",
    "now": "now()",
    "expires_at": "(now() + interval '1 hour')",
    "reference": "''",
    "hold_id": "('h' || :n::text)",
    "amount": "1",
}


def _bind(statement: str) -> str:
    return re.sub(r"%\((\w+)\)s", lambda found: _HOLD_VALUES[found.group(1)], statement)


def hold_sql_script() -> str:
    """pgbench running what one AFP hold sends (docs/ledger.md, the fast path): `BEGIN` and
    the non-locking check that claims the key in one pipeline, then the statement that locks
    the account, inserts the hold row and records the receipt, with `COMMIT`, in another. Run
    with `-M prepared`, as psycopg prepares a statement from its fifth use. It writes real,
    consistent holds (the ledger check afterwards covers them)."""
    return "\n".join(
        [
            "\\set n random(1, 9000000000000000000)",
            "\\startpipeline",
            "BEGIN;",
            _bind(ledger_sql._PG_CHECK_AND_CLAIM) + ";",
            "\\endpipeline",
            "\\startpipeline",
            _bind(ledger_sql._PG_RESERVE_AND_RECORD) + ";",
            "COMMIT;",
            "\\endpipeline",
            "",
        ]
    )


def _pgbench_args(url: str) -> list[str]:
    parts: URL = make_url(url)
    args = ["-h", parts.host or "127.0.0.1", "-p", str(parts.port or 5432)]
    if parts.username:
        args += ["-U", parts.username]
    return [*args, parts.database or "postgres"]


async def measure_pgbench(
    url: str, case: str, clients: int, script: str, *, mode: str = "simple"
) -> float:
    """pgbench's tps (without initial connection time) for one script."""
    await vacuum(url)
    env = dict(os.environ)
    password = make_url(url).password
    if password:
        env["PGPASSWORD"] = str(password)
    command = ["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(int(MEASURE_S))]
    command += ["-M", mode]
    process = await asyncio.create_subprocess_exec(
        *command,
        "-f",
        script,
        *_pgbench_args(url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await process.communicate()
    found = TPS.search(out.decode())
    if process.returncode != 0 or found is None:
        raise RuntimeError(f"pgbench failed ({case}, {clients} clients): {err.decode().strip()}")
    return float(found.group(1))


# ---------------------------------------------------------------- the check
async def check_ledger(url: str) -> int:
    """Raise unless every account's balance and reserve match its entries and open holds;
    return how many holds were placed."""
    query = sa.text(
        """
        SELECT u.id, u.credits_balance, u.credits_reserved,
               coalesce(e.total, 0) AS entries, coalesce(h.open, 0) AS open_holds
        FROM users u
        LEFT JOIN (SELECT user_id, sum(amount) AS total FROM transactions GROUP BY user_id) e
               ON e.user_id = u.id
        LEFT JOIN (SELECT user_id, sum(amount - captured - released) AS open
                   FROM credit_holds WHERE status = 'OPEN' GROUP BY user_id) h
               ON h.user_id = u.id
        WHERE u.credits_balance <> coalesce(e.total, 0)
           OR u.credits_reserved <> coalesce(h.open, 0)
        """
    )
    db = SqlDatabase.from_url(url, UlidIdGenerator(), pool_size=1)
    try:
        async with db.engine.connect() as conn:
            broken = (await conn.execute(query)).all()
            holds = (await conn.execute(sa.text("SELECT count(*) FROM credit_holds"))).scalar()
            hot = (
                await conn.execute(
                    sa.select(t.users.c.credits_reserved).where(t.users.c.id == HOT_ACCOUNT)
                )
            ).scalar()
    finally:
        await db.dispose()
    if broken:
        raise AssertionError(f"LEDGER INCONSISTENT for {len(broken)} accounts, e.g. {broken[:3]}")
    if not hot:
        raise AssertionError("the hot account holds nothing: the hot cases did not run")
    return int(holds or 0)


# ---------------------------------------------------------------- report
@dataclass(frozen=True)
class Row:
    case: str
    clients: int
    afp: Measured
    pgbench_tps: float

    @property
    def ratio(self) -> float:
        return self.afp.holds_per_s / self.pgbench_tps


def print_table(rows: Sequence[Row]) -> None:
    print(
        f"ledger  PostgreSQL hold vs raw pgbench single-row UPDATE "
        f"({WARMUP_S:.0f} s warm-up + {MEASURE_S:.0f} s each, {ACCOUNTS} accounts, "
        f"{os.cpu_count()} CPUs shared by Python, PostgreSQL and pgbench)"
    )
    print(
        f"  AFP: one unit of work per hold; asyncio clients all in 1 process or split over "
        f"{PROCESSES} processes, the better shown (cpu: share of one core per process)"
    )
    print(f"  {'case':<7}{'clients':>8}{'AFP holds/s':>13}{'pgbench tps':>13}{'ratio':>8}  setup")
    for row in rows:
        print(
            f"  {row.case:<7}{row.clients:>8}{row.afp.holds_per_s:>13.0f}"
            f"{row.pgbench_tps:>13.0f}{row.ratio:>8.2f}  {row.afp.setup}"
        )
    target = next(row for row in rows if row.case == HOT and row.clients == 8)
    verdict = "MET" if target.ratio >= TARGET_RATIO else "NOT MET"
    print(
        f"  target (hot row, 8 clients, ratio >= {TARGET_RATIO:.2f}): {verdict} "
        f"({target.ratio:.2f})"
    )


async def on_postgres(scripts: dict[str, str]) -> None:
    async with bench_database() as url:
        await seed(url)
        rows = []
        for case in (HOT, SPREAD):
            for clients in CLIENTS:
                tps = await measure_pgbench(url, case, clients, scripts[case])
                afp = await measure_afp(url, case, clients)
                rows.append(Row(case, clients, afp, tps))
        in_tx = await measure_pgbench(url, HOT, 8, scripts[HOT_TX])
        hold_sql = await measure_pgbench(url, HOT, 8, scripts[HOLD_SQL], mode="prepared")
        holds = await check_ledger(url)
        print_table(rows)
        hot8 = next(r for r in rows if r.case == HOT and r.clients == 8)
        print(
            f"  context: pgbench hot row, 8 clients, UPDATE inside BEGIN/END: {in_tx:.0f} tps; "
            f"AFP/that = {hot8.afp.holds_per_s / in_tx:.2f} (the target compares with the "
            "autocommit UPDATE above)"
        )
        print(
            f"  ceiling: pgbench itself sending the hold's own statements (two pipelines, "
            f"prepared), hot row, 8 clients: {hold_sql:.0f} tps = "
            f"{hold_sql / hot8.pgbench_tps:.2f} of the UPDATE; AFP = "
            f"{hot8.afp.holds_per_s / hold_sql:.2f} of that"
        )
        print(f"  ledger consistent ({holds} holds; balance and reserve match for every account)")


async def run() -> None:
    await in_memory()
    problem = await postgres_problem()
    if problem is not None:
        print(f"ledger  PostgreSQL figures skipped: {problem}")
        return
    with tempfile.TemporaryDirectory(prefix="afp_bench_") as folder:
        scripts = {}
        for case, text in {**SCRIPTS, HOLD_SQL: hold_sql_script()}.items():
            path = Path(folder) / f"{case}.sql"
            path.write_text(text)
            scripts[case] = str(path)
        await on_postgres(scripts)
