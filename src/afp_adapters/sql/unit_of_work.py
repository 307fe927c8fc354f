"""`SqlUnitOfWork`: one database transaction behind every repository, the ledger and the
job outbox. Leaving the block without `commit()` rolls everything back."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import attrs
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from afp_adapters.sql.ledger import SqlCreditLedger
from afp_adapters.sql.repositories import (
    MemoryEventLog,
    SqlBatchRepository,
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


class SqlUnitOfWork:
    """Implements `UnitOfWork`; single use."""

    def __init__(self, engine: AsyncEngine, ids: IdGenerator) -> None:
        self._engine = engine
        self._ids = ids
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._used = False

    def _bind(self, conn: AsyncConnection) -> None:
        self.users = SqlUserRepository(conn)
        self.videos = SqlVideoRepository(conn)
        self.batches = SqlBatchRepository(conn)
        self.purchases = SqlPurchaseRepository(conn)
        self.webhooks = SqlWebhookInbox(conn)
        self.connections = SqlSocialConnectionRepository(conn)
        self.oauth_states = SqlOAuthStateRepository(conn)
        self.posts = SqlPostRepository(conn)
        self.idempotency = SqlIdempotencyRepository(conn)
        self.ledger = SqlCreditLedger(conn, self._ids)
        self.jobs = SqlJobOutbox(conn, self._ids, datetime.now(UTC))
        self.events = MemoryEventLog()

    async def __aenter__(self) -> Self:
        if self._used:
            raise RuntimeError("a unit of work is single-use; ask the factory for a new one")
        self._used = True
        self._conn = await self._engine.connect()
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
        conn, tx = self._conn, self._tx
        self._conn = self._tx = None
        try:
            if tx is not None and tx.is_active:
                await tx.rollback()
        finally:
            if conn is not None:
                await conn.close()

    async def commit(self) -> None:
        if self._conn is None or self._tx is None:
            raise RuntimeError("commit outside the unit of work's block")
        await self._tx.commit()
        for event in self.events.recorded:  # committed: a logging problem must not undo that
            with contextlib.suppress(Exception):
                log.debug("domain_event", name=type(event).__name__, fields=_fields(event))
        self.events = MemoryEventLog()
        self._tx = await self._conn.begin()


def _fields(event: DomainEvent) -> dict[str, object]:
    return {k: str(v) for k, v in attrs.asdict(event, recurse=False).items()}
