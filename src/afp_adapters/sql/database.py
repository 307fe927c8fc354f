"""`SqlDatabase`: an async engine set up for correctness on SQLite and PostgreSQL.

SQLite (the embedded default): WAL journal, foreign keys on, a busy timeout, and every unit of
work starts with `BEGIN IMMEDIATE`, so writers queue instead of failing half way; a read-only
one (`unit_of_work(read_only=True)`) sends no BEGIN, so readers never wait for writers.
PostgreSQL: psycopg 3, READ COMMITTED; the ledger keeps its row locks to the last statements
(a hold's is sent with COMMIT). The ledger's fast path switches psycopg's autocommit on for the
rest of a transaction it begins itself; a connection still in autocommit is never handed out.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from afp_adapters.sql.unit_of_work import SqlUnitOfWork
from afp_core.ports.system import IdGenerator

SQLITE_BUSY_TIMEOUT_MS = 30_000


class SchemaBehind(RuntimeError):
    """The database's schema is older than this code."""


def normalise_url(url: str) -> str:
    """Pick the async drivers: `sqlite:` -> aiosqlite, `postgresql:` -> psycopg."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif driver in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+asyncpg"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # a read-only unit of work sends no BEGIN: in WAL mode each of its statements reads a
        # committed snapshot of its own and never waits for the write lock
        if not connection.get_execution_options().get("afp_read_only"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_postgres(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _: Any, __: Any) -> None:
        # `PgTransaction.end` switches autocommit off again after every transaction (or drops
        # the connection); should one slip back into the pool, its statements would each
        # commit on their own, so it is replaced by a new connection instead
        if dbapi_connection.autocommit:
            raise sa.exc.DisconnectionError("connection returned in autocommit")


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url)
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=300,  # instead of a pre-ping per checkout: a round trip on the hot path
        isolation_level="READ COMMITTED",
    )
    _configure_postgres(engine)
    return engine


class SqlDatabase:
    """Owns the engine; hands out units of work. `procrastinate=True` (PostgreSQL only): units
    of work defer their jobs into procrastinate's table instead of `jobs`."""

    def __init__(
        self, engine: AsyncEngine, ids: IdGenerator, *, procrastinate: bool = False
    ) -> None:
        if procrastinate and engine.dialect.name != "postgresql":
            raise ValueError("procrastinate's job queue needs PostgreSQL")
        self.engine = engine
        self.ids = ids
        self.procrastinate = procrastinate

    @classmethod
    def from_url(
        cls, url: str, ids: IdGenerator, *, pool_size: int = 10, procrastinate: bool = False
    ) -> SqlDatabase:
        return cls(make_engine(url, pool_size=pool_size), ids, procrastinate=procrastinate)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def unit_of_work(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.engine, self.ids, procrastinate=self.procrastinate, read_only=read_only
        )

    async def dispose(self) -> None:
        await self.engine.dispose()


__all__ = ["SchemaBehind", "SqlDatabase", "make_engine", "normalise_url"]
