"""A scratch PostgreSQL database per bench run, made and dropped through a libpq connection.

`AFP_BENCH_POSTGRES_URL` names the server (default: the local one, user postgres, trust).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get(
    "AFP_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _admin(sql: str) -> None:
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)  # type: ignore[arg-type,unused-ignore]  # not LiteralString


def postgres_problem() -> str | None:
    """Why the bench cannot use PostgreSQL (one line), or None when it can."""
    try:
        _admin("SELECT 1")
    except psycopg.Error as exc:
        where = make_url(ADMIN_URL)
        return f"cannot use {where.host}:{where.port}: {str(exc).strip().splitlines()[0]}"
    return None


@contextlib.contextmanager
def postgres_database(label: str) -> Iterator[str]:
    """A fresh database `afp_bench_<label>_<random>`; dropped afterwards whatever happens."""
    name = f"afp_bench_{label}_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(ADMIN_URL).set(database=name, drivername="postgresql+psycopg")
        yield url.render_as_string(hide_password=False)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


__all__ = ["ADMIN_URL", "postgres_database", "postgres_problem"]
