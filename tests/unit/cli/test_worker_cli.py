"""`afp worker`: runs queued jobs on the configured database, stops cleanly on a signal and
refuses a database it cannot use."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afp_bootstrap import close_database
from afp_cli import app
from afp_core.domain.video import VideoStatus
from tests.world import World

runner = CliRunner()
IDLE = ("--idle-poll", "0.1")


def worker_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFP_")}
    env.update(
        AFP_DATABASE_URL=database_url,
        AFP_PROVIDERS="fake",
        AFP_VIDEO_PROVIDER="fake",
        AFP_STORAGE_URL=f"file://{tmp_path / 'media'}",
    )
    return env


def job_states(db_file: str) -> dict[str, str]:
    with sqlite3.connect(db_file) as conn:
        return dict(conn.execute("SELECT name, status FROM jobs ORDER BY created_at").fetchall())


async def queue_a_video(database_url: str) -> str:
    world = World(database_url=database_url)
    world.clock.set(datetime.now(UTC))  # the worker runs on the system clock
    try:
        user = await world.user(credits=10)
        return (await world.start_video(user)).video_id
    finally:
        await close_database(world.c)


@pytest.mark.slow
def test_the_worker_runs_a_queued_job_and_stops_on_sigterm(sqlite_url: str, tmp_path: Path) -> None:
    video_id = asyncio.run(queue_a_video(sqlite_url))
    db_file = sqlite_url.removeprefix("sqlite:///")

    process = subprocess.Popen(  # noqa: S603 - our own interpreter and entry point
        [sys.executable, "-c", "from afp_cli.main import main; main()", "worker", *IDLE],
        env=worker_env(sqlite_url, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while job_states(db_file).get("submit_video") != "done":
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the submit job never ran"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "worker.stopping" in stderr and "worker.stopped" in stderr
    states = job_states(db_file)
    assert states["sweep"] == "waiting"  # seeded at start, ran, deferred the next one
    assert "running" not in states.values()
    with sqlite3.connect(db_file) as conn:
        [(status,)] = conn.execute("SELECT status FROM videos WHERE id = ?", (video_id,))
    assert status in (VideoStatus.SUBMITTED, VideoStatus.RENDERING)


def test_a_database_behind_the_code_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = runner.invoke(app, ["worker"], env=worker_env(url, tmp_path))
    assert result.exit_code == 2
    assert "afp migrate" in result.stderr


def test_the_in_memory_database_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["worker"], env=worker_env("memory://", tmp_path))
    assert result.exit_code == 2
    assert "needs a database it shares" in result.stderr
