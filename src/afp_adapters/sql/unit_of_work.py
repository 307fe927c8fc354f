"""`SqlUnitOfWork`: one database transaction behind every repository, the ledger and the
job outbox. Leaving the block without `commit()` rolls everything back.

On PostgreSQL the ledger's hold leaves its locking statement for the commit, which sends it
with COMMIT in one round trip (`PgTransaction`): a hold that loses the race for the last
credits then makes `commit()` raise the domain's error, with nothing written."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import attrs
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from afp_adapters.sql.ledger import PgTransaction, SqlCreditLedger
from afp_adapters.sql.procrastinate_outbox import ProcrastinateJobOutbox
from afp_adapters.sql.repositories import (
    MemoryEventLog,
    SqlBatchRepository,
    SqlCredentialRepository,
    SqlIdempotencyRepository,
    SqlJobOutbox,
    SqlOAuthStateRepository,
    SqlPostRepository,
    SqlPurchaseRepository,
    SqlSocialConnectionRepository,
    SqlUserRepository,
    SqlVideoRepository,
    SqlWebhookInbox,
)
from afp_core.domain.events import DomainEvent
from afp_core.ports.system import IdGenerator

log = structlog.get_logger("afp.events")
# a read-only unit of work's connection. SQLite: `afp_read_only` tells database.py's `begin`
# hook to send no `BEGIN IMMEDIATE` (the driver is in autocommit mode already). PostgreSQL:
# AUTOCOMMIT keeps psycopg from sending BEGIN and ROLLBACK (the pool restores the isolation
# level when the connection is returned)
READ_ONLY_OPTIONS: dict[str, dict[str, object]] = {
    "sqlite": {"afp_read_only": True},
    "postgresql": {"afp_read_only": True, "isolation_level": "AUTOCOMMIT"},
}


class SqlUnitOfWork:
    """Implements `UnitOfWork`; single use. `procrastinate`: jobs go to procrastinate's
    table (PostgreSQL) instead of ours."""

    def __init__(
        self,
        engine: AsyncEngine,
        ids: IdGenerator,
        *,
        procrastinate: bool = False,
        read_only: bool = False,
    ) -> None:
        self._engine = engine
        self._ids = ids
        self._procrastinate = procrastinate
        self._read_only = read_only
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._pg: PgTransaction | None = None
        self._used = False

    def _bind(self, conn: AsyncConnection) -> None:
        lock = not self._read_only
        self.users = SqlUserRepository(conn)
        self.videos = SqlVideoRepository(conn, lock=lock)
        self.batches = SqlBatchRepository(conn, lock=lock)
        self.purchases = SqlPurchaseRepository(conn)
        self.webhooks = SqlWebhookInbox(conn)
        self.connections = SqlSocialConnectionRepository(conn)
        self.oauth_states = SqlOAuthStateRepository(conn)
        self.posts = SqlPostRepository(conn, lock=lock)
        self.idempotency = SqlIdempotencyRepository(conn)
        self.credentials = SqlCredentialRepository(conn)
        if conn.dialect.name == "postgresql":
            self._pg = PgTransaction(conn)
        self.ledger = SqlCreditLedger(conn, self._ids, self._pg)
        self.jobs: SqlJobOutbox | ProcrastinateJobOutbox
        if self._procrastinate:
            self.jobs = ProcrastinateJobOutbox(conn)
        else:
            self.jobs = SqlJobOutbox(conn, self._ids, datetime.now(UTC))
        self.events = MemoryEventLog()

    async def __aenter__(self) -> Self:
        if self._used:
            raise RuntimeError("a unit of work is single-use; ask the factory for a new one")
        self._used = True
        self._conn = await self._engine.connect()
        if self._read_only:
            # no transaction: every statement reads the latest committed rows on its own, and
            # waits for no writer (SQLite: no `BEGIN IMMEDIATE`, see database.py; PostgreSQL:
            # autocommit, so no BEGIN/ROLLBACK round trips); nothing is locked
            try:
                options = READ_ONLY_OPTIONS[self._conn.dialect.name]
                self._conn = await self._conn.execution_options(**options)
            except BaseException:
                await self._conn.close()
                raise
        elif self._conn.dialect.name != "postgresql":
            # SQLite: `BEGIN IMMEDIATE` now (see database.py), so units of work queue here.
            # PostgreSQL: the transaction starts with the first statement (psycopg or the
            # ledger's fast path sends BEGIN then), so there is nothing to do yet.
            try:
                self._tx = await self._conn.begin()
            except BaseException:
                await self._conn.close()
                raise
        self._bind(self._conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, tx, pg = self._conn, self._tx, self._pg
        self._conn = self._tx = self._pg = None
        try:
            try:
                if tx is not None and tx.is_active:
                    await tx.rollback()
                elif pg is not None and conn is not None and conn.in_transaction():
                    await conn.rollback()
            finally:
                if pg is not None:
                    await pg.end(commit=False)  # ROLLBACK, if only the fast path spoke
        finally:
            if conn is not None:
                await conn.close()

    async def commit(self) -> None:
        if self._conn is None:
            raise RuntimeError("commit outside the unit of work's block")
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        if self._pg is not None:
            await self._pg.commit()  # a deferred hold statement and COMMIT, when there is one
            if self._conn.in_transaction():  # COMMIT, or only SQLAlchemy's bookkeeping
                await self._conn.commit()
            await self._pg.end(commit=True)  # COMMIT, if only the fast path spoke
        elif self._tx is not None:
            await self._tx.commit()
            self._tx = await self._conn.begin()
        for event in self.events.recorded:  # committed: a logging problem must not undo that
            with contextlib.suppress(Exception):
                log.debug("domain_event", name=type(event).__name__, fields=_fields(event))
        self.events = MemoryEventLog()


def _fields(event: DomainEvent) -> dict[str, object]:
    return {k: str(v) for k, v in attrs.asdict(event, recurse=False).items()}
