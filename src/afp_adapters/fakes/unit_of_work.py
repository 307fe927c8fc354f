"""`InMemoryDatabase` and its unit of work: serialisable transactions in one process."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from afp_adapters.fakes._state import Tables
from afp_adapters.fakes.ledger import InMemoryCreditLedger
from afp_adapters.fakes.repositories import (
    InMemoryBatchRepository,
    InMemoryCredentialRepository,
    InMemoryEventLog,
    InMemoryIdempotencyRepository,
    InMemoryJobOutbox,
    InMemoryOAuthStateRepository,
    InMemoryPostRepository,
    InMemoryPurchaseRepository,
    InMemorySocialConnectionRepository,
    InMemoryUserRepository,
    InMemoryVideoRepository,
    InMemoryWebhookInbox,
)
from afp_core.ports.system import IdGenerator


class InMemoryDatabase:
    """Committed state plus a lock that makes units of work run one at a time."""

    def __init__(self, ids: IdGenerator) -> None:
        self.tables = Tables()
        self.ids = ids
        self.lock = asyncio.Lock()
        self.commits = 0

    def unit_of_work(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        """`read_only` is accepted and ignored: every unit of work here is serialisable."""
        return InMemoryUnitOfWork(self)


class InMemoryUnitOfWork:
    """Implements `UnitOfWork`. Serialisable: holds the database lock from enter to exit."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self._db = db
        self._work: Tables | None = None
        self._used = False

    def _bind(self, work: Tables) -> None:
        self._work = work
        ids = self._db.ids
        self.users = InMemoryUserRepository(work)
        self.videos = InMemoryVideoRepository(work)
        self.batches = InMemoryBatchRepository(work)
        self.purchases = InMemoryPurchaseRepository(work)
        self.webhooks = InMemoryWebhookInbox(work)
        self.connections = InMemorySocialConnectionRepository(work)
        self.oauth_states = InMemoryOAuthStateRepository(work)
        self.posts = InMemoryPostRepository(work)
        self.idempotency = InMemoryIdempotencyRepository(work)
        self.credentials = InMemoryCredentialRepository(work)
        self.ledger = InMemoryCreditLedger(work, ids)
        self.jobs = InMemoryJobOutbox(work, ids)
        self.events = InMemoryEventLog(work)

    async def __aenter__(self) -> Self:
        if self._used:
            raise RuntimeError("a unit of work is single-use; ask the factory for a new one")
        self._used = True
        await self._db.lock.acquire()
        self._bind(self._db.tables.view())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._work = None
        self._db.lock.release()

    async def commit(self) -> None:
        """Publish this unit of work's tables; later writes in the block start a fresh copy."""
        if self._work is None:
            raise RuntimeError("commit outside the unit of work's block")
        self._db.tables.apply(self._work)
        self._db.commits += 1
        self._bind(self._db.tables.view())
