"""Databases for the SQL suites: a migrated template per session, a fresh copy per test.

PostgreSQL is this machine's server (127.0.0.1:5432, trust auth) unless
`AFP_TEST_POSTGRES_URL` says otherwise. Every database a test makes is dropped afterwards.
Under `CI=true` an unreachable PostgreSQL fails the run; elsewhere those tests skip and say why.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from afp_adapters.sql import upgrade

ADMIN_URL = os.environ.get("AFP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI") == "true"


def run_blocking(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine to the end from sync code, even when an event loop is running here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(make())).result()


def _admin() -> psycopg.Connection:
    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        with _admin() as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return (
            f"PostgreSQL at {make_url(ADMIN_URL).host}:{make_url(ADMIN_URL).port} "
            f"is unreachable: {str(exc).strip().splitlines()[0]}"
        )
    return None


def max_connections() -> int:
    with _admin() as conn:
        row = conn.execute("SHOW max_connections").fetchone()
    return int(row[0]) if row else 0


def require_postgres() -> None:
    problem = postgres_problem()
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"{problem} (CI=true: PostgreSQL is required)")
    pytest.skip(f"{problem}; start it to run the PostgreSQL suites")


def database_url(name: str) -> str:
    url = make_url(ADMIN_URL).set(database=name, drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def create_database(name: str, *, template: str | None = None) -> str:
    with _admin() as conn:
        suffix = f" TEMPLATE {template}" if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    return database_url(name)


def drop_database(name: str) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_name(prefix: str = "afp_t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextmanager
def postgres_template() -> Iterator[str]:
    """A migrated database to copy; yields its name."""
    require_postgres()
    name = new_name("afp_tpl")
    url = create_database(name)
    try:
        run_blocking(lambda: upgrade(url))
        yield name
    finally:
        drop_database(name)


@contextmanager
def postgres_copy(template: str) -> Iterator[str]:
    name = new_name()
    url = create_database(name, template=template)
    try:
        yield url
    finally:
        drop_database(name)


@contextmanager
def sqlite_template(folder: Path) -> Iterator[Path]:
    path = folder / "template.db"
    run_blocking(lambda: upgrade(f"sqlite:///{path}"))
    yield path


def sqlite_copy(template: Path, folder: Path) -> str:
    target = folder / f"{uuid.uuid4().hex[:8]}.db"
    shutil.copy(template, target)
    return f"sqlite:///{target}"
