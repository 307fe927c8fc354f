"""HTTP throughput and latency of `GET /videos/{id}/status`, beside a bare Litestar endpoint.

What is measured: requests per second and p50/p99 latency with CLIENTS concurrent
keep-alive connections against ONE uvicorn worker, for

- bare: `bench.http_app:bare`, a minimal Litestar app answering `GET /ping` with
  `{"ok": true}` (the reference, served the same way in the same run);
- AFP/SQLite and AFP/PostgreSQL: `bench.http_app:afp`, the API as `afp serve` builds it
  (`create_app_from_settings`: authentication, request ids, metrics, JSON request logs),
  answering `GET /videos/{id}/status` for a seeded user's video with its bearer session token.
  The status route reads the database only (`GetVideoStatus`: the status columns, in a
  read-only unit of work); the bearer token is checked against the database (one query)
  and then remembered for 5 s by the process (`VerifiedTokens`).

Method:
- Seed first, through the container and its use cases: the database is migrated, a user is
  created with a password and credits, logged in (the session token), and one video is
  started (QUEUED; no worker runs, so it stays put). SQLite: a file in a temporary folder.
  PostgreSQL: a database `afp_bench_http_<random>` made for the run and dropped afterwards,
  also on error; if the server is unreachable the PostgreSQL figure is skipped in one line.
- Serve: `python -m uvicorn bench.http_app:<app> --factory --workers 1 --loop <uvloop if
  installed, else asyncio> --no-access-log` in a subprocess (its output is discarded), on a
  free local port; the bench waits until a request answers 200.
- Load: a separate process (spawned), so the load generator does not share the bench's
  interpreter: a raw asyncio HTTP/1.1 client (an `asyncio.Protocol` per connection, no
  pipelining), CLIENTS connections, each in a closed loop (send, read the whole answer,
  send again). WARMUP_S of load, then MEASURE_S measured: every request started in the
  window is counted and timed (send to last byte). Anything but a 200 is counted as an
  error; a request still unanswered DRAIN_S after the window is cut and counted with the
  time it waited (a lower bound). Either fails the target.
- The server's CPU over the window (from /proc, 100% = one core) and the load generator's
  are printed: a load generator near 100% while the server is not would mean the client,
  not the server, is the limit.
- Ratio = AFP rps / bare rps. Targets: ratio >= TARGET_RATIO, p99 < TARGET_P99_MS.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import multiprocessing as mp
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import IO

import httpx
from pydantic import SecretStr
from tests.world import PRODUCT, SCRIPT

from afp_bootstrap import Settings, build_container, close_database, open_database
from afp_bootstrap.logs import configure_logging
from afp_core.usecases import CreateUserCommand, LogInCommand, StartVideoCommand
from bench._postgres import postgres_database, postgres_problem

CLIENTS = 64
WARMUP_S = float(os.environ.get("AFP_BENCH_HTTP_WARMUP_S", "2"))
MEASURE_S = float(os.environ.get("AFP_BENCH_HTTP_SECONDS", "8"))
TARGET_RATIO = 0.35
TARGET_P99_MS = 50.0
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
DRAIN_S = 5.0  # how long requests still in flight after the window are waited for
ROOT = Path(__file__).resolve().parents[1]
EMAIL = "bench@afp.local"
PASSWORD = "bench password 1234"  # noqa: S105 - a throwaway user in a throwaway database


@dataclass(frozen=True)
class Target:
    """What to serve and what to ask it."""

    name: str
    app: str  # a factory in bench.http_app
    path: str
    env: Mapping[str, str]
    token: str | None = None


@dataclass(frozen=True)
class Tally:
    """What the load process saw in the measured window."""

    latencies_s: list[float]
    errors: int  # answers other than 200
    unfinished: int  # still unanswered DRAIN_S after the window (timed up to then)
    window_s: float
    cpu_s: float


@dataclass(frozen=True)
class Measured:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    unfinished: int
    server_cpu: float  # share of one core over the window
    client_cpu: float


# ---------------------------------------------------------------- the load generator
class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; `ask` sends a request and waits for its answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError("the answer has no Content-Length")
        line_end = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : line_end if line_end > 0 else len(head)])
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        status = int(head[9:12])
        del self.buffer[:total]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    async def ask(self, request: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


async def _drive(port: int, request: bytes, clients: int, started: Event, ended: Event) -> Tally:
    loop = asyncio.get_running_loop()
    connections = [
        (await loop.create_connection(_Connection, HOST, port))[1] for _ in range(clients)
    ]
    latencies: list[float] = []
    errors = unfinished = 0
    begin = time.perf_counter() + WARMUP_S
    end = begin + MEASURE_S

    async def client(connection: _Connection) -> None:
        nonlocal errors, unfinished
        while True:
            sent = time.perf_counter()
            if sent >= end:
                return
            try:
                status = await connection.ask(request)
            except asyncio.CancelledError:
                if sent >= begin:  # counted, with the time waited so far as its latency
                    latencies.append(time.perf_counter() - sent)
                    unfinished += 1
                raise
            if sent >= begin:
                latencies.append(time.perf_counter() - sent)
                errors += status != 200

    async def mark_window() -> float:
        await asyncio.sleep(max(0.0, begin - time.perf_counter()))
        cpu = time.process_time()
        started.set()
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        ended.set()
        return time.process_time() - cpu

    cpu_task = asyncio.ensure_future(mark_window())
    tasks = [asyncio.ensure_future(client(c)) for c in connections]
    _, late = await asyncio.wait(tasks, timeout=WARMUP_S + MEASURE_S + DRAIN_S)
    for task in late:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    cpu_s = await cpu_task
    for connection in connections:
        assert connection.transport is not None
        connection.transport.close()
    return Tally(latencies, errors, unfinished, MEASURE_S, cpu_s)


def _load_process(
    port: int,
    request: bytes,
    clients: int,
    started: Event,
    ended: Event,
    out: Queue,  # type: ignore[type-arg]
) -> None:
    out.put(asyncio.run(_drive(port, request, clients, started, ended)))


# ---------------------------------------------------------------- the server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _loop_kind() -> str:
    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


def _http_kind() -> str:
    """What uvicorn's `--http auto` picks."""
    return "httptools" if importlib.util.find_spec("httptools") else "h11"


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of stat)


@contextlib.contextmanager
def serving(target: Target) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        f"bench.http_app:{target.app}",
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        _loop_kind(),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    env = {**os.environ, **target.env}
    # the output (AFP's JSON request logs) goes to a file: a pipe nobody reads would fill up
    # and stall the server; the file is read only to explain a failed start
    with tempfile.TemporaryFile() as output:
        server = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed command
            command, cwd=ROOT, env=env, stdout=output, stderr=output
        )
        try:
            _wait_until_up(server, port, target, output)
            yield server, port
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _headers(target: Target) -> dict[str, str]:
    return {"Authorization": f"Bearer {target.token}"} if target.token else {}


def _wait_until_up(
    server: subprocess.Popen[bytes], port: int, target: Target, output: IO[bytes]
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    url = f"http://{HOST}:{port}{target.path}"
    while True:
        if server.poll() is not None:
            output.seek(0)
            err = output.read().decode(errors="replace")
            raise RuntimeError(f"uvicorn exited ({server.returncode}):\n{err[-2000:]}")
        try:
            answer = httpx.get(url, headers=_headers(target), timeout=2.0)
        except httpx.TransportError:
            answer = None
        if answer is not None:
            if answer.status_code != 200:
                raise RuntimeError(f"{target.name}: {target.path} answered {answer.status_code}")
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{target.name}: uvicorn did not answer in {START_TIMEOUT_S} s")
        time.sleep(0.1)


def _request_bytes(target: Target, port: int) -> bytes:
    lines = [f"GET {target.path} HTTP/1.1", f"Host: {HOST}:{port}", "Accept: application/json"]
    lines += [f"{k}: {v}" for k, v in _headers(target).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def measure(target: Target, clients: int = CLIENTS) -> Measured:
    ctx = mp.get_context("spawn")
    with serving(target) as (server, port):
        started, ended, out = ctx.Event(), ctx.Event(), ctx.Queue()
        loader = ctx.Process(
            target=_load_process,
            args=(port, _request_bytes(target, port), clients, started, ended, out),
        )
        loader.start()
        try:
            if not started.wait(WARMUP_S + START_TIMEOUT_S):
                raise RuntimeError(f"{target.name}: the load process did not start")
            ticks = _cpu_ticks(server.pid)
            ended.wait(MEASURE_S + START_TIMEOUT_S)
            server_cpu_s = (_cpu_ticks(server.pid) - ticks) / os.sysconf("SC_CLK_TCK")
            tally: Tally = out.get(timeout=START_TIMEOUT_S + MEASURE_S + DRAIN_S)
        finally:
            loader.join(timeout=10)
            if loader.is_alive():
                loader.kill()
    if not tally.latencies_s:
        raise RuntimeError(f"{target.name}: no request completed")
    ordered = sorted(tally.latencies_s)
    return Measured(
        name=target.name,
        rps=len(ordered) / tally.window_s,
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        errors=tally.errors,
        unfinished=tally.unfinished,
        server_cpu=server_cpu_s / tally.window_s,
        client_cpu=tally.cpu_s / tally.window_s,
    )


# ---------------------------------------------------------------- seeding
def _settings(database_url: str, folder: Path) -> dict[str, str]:
    """The `AFP_*` environment the server reads, and the seed's settings are built from."""
    return {
        "AFP_DATABASE_URL": database_url,
        "AFP_PROVIDERS": "fake",
        "AFP_STORAGE_URL": f"file://{folder / 'media'}",
        "AFP_FAKE_WEBHOOK_SECRET": secrets.token_hex(16),
    }


async def seed(env: Mapping[str, str]) -> tuple[str, str]:
    """Migrate; a user with a password and credits, its session token, one QUEUED video."""
    configure_logging(level=logging.WARNING)  # the seed's domain events are not the bench's
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=env["AFP_DATABASE_URL"],
        providers="fake",
        storage_url=env["AFP_STORAGE_URL"],
        fake_webhook_secret=SecretStr(env["AFP_FAKE_WEBHOOK_SECRET"]),
    )
    container = build_container(settings)
    await open_database(container, migrate=True)
    try:
        created = await container.create_user().execute(
            CreateUserCommand(
                email=EMAIL,
                password_hash=await container.password_hasher().hash(PASSWORD),
                starting_credits=100,
            )
        )
        session = await container.log_in().execute(LogInCommand(EMAIL, PASSWORD))
        started = await container.start_video().execute(
            StartVideoCommand(user_id=created.user.id, product=PRODUCT, script=SCRIPT)
        )
    finally:
        await close_database(container)
    return session.token, started.video_id


def afp_target(name: str, env: Mapping[str, str], token: str, video_id: str) -> Target:
    return Target(name, "afp", f"/videos/{video_id}/status", env, token)


# ---------------------------------------------------------------- PostgreSQL
# ---------------------------------------------------------------- report
def _line(m: Measured, reference: Measured | None) -> str:
    ratio = f"{m.rps / reference.rps:6.1%}" if reference is not None else "     -"
    return (
        f"http    {m.name:<15} {m.rps:8.0f} req/s  p50 {m.p50_ms:6.1f} ms"
        f"  p99 {m.p99_ms:6.1f} ms  ratio {ratio}"
        f"  (server CPU {m.server_cpu:4.0%}, load CPU {m.client_cpu:4.0%})"
        + (f"  {m.errors} answers not 200!" if m.errors else "")
        + (f"  {m.unfinished} unanswered after {DRAIN_S:.0f} s!" if m.unfinished else "")
    )


def _verdict(m: Measured, reference: Measured) -> str:
    ratio = m.rps / reference.rps
    ok = ratio >= TARGET_RATIO and m.p99_ms < TARGET_P99_MS and not m.errors + m.unfinished
    return (
        f"http    {m.name}: ratio {ratio:.1%} (target >= {TARGET_RATIO:.0%}), p99"
        f" {m.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f} ms): {'met' if ok else 'NOT MET'}"
    )


def run() -> None:
    print(
        f"http    GET /videos/{{id}}/status vs a bare Litestar GET /ping: {CLIENTS} keep-alive"
        f" clients, 1 uvicorn worker (loop {_loop_kind()}, http {_http_kind()}),"
        f" {WARMUP_S:.0f} s warm-up + {MEASURE_S:.0f} s measured, {os.cpu_count()} CPUs"
    )
    bare = measure(Target("bare /ping", "bare", "/ping", {}))
    print(_line(bare, None))
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="afp_bench_http_") as folder:
        env = _settings(f"sqlite:///{Path(folder) / 'bench.db'}", Path(folder))
        token, video_id = asyncio.run(seed(env))
        results.append(measure(afp_target("AFP/SQLite", env, token, video_id)))
        print(_line(results[-1], bare))

        problem = postgres_problem()
        if problem is not None:
            print(f"http    AFP/PostgreSQL skipped: {problem}")
        else:
            with postgres_database("http") as url:
                env = _settings(url, Path(folder))
                token, video_id = asyncio.run(seed(env))
                results.append(measure(afp_target("AFP/PostgreSQL", env, token, video_id)))
            print(_line(results[-1], bare))
    for m in results:
        print(_verdict(m, bare))


if __name__ == "__main__":
    run()
