"""The unit of work: one transaction over every repository, the ledger and the job outbox."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from afp_core.ports.credentials import CredentialRepository
from afp_core.ports.ledger import CreditLedger
from afp_core.ports.repositories import (
    BatchRepository,
    EventLog,
    IdempotencyRepository,
    JobOutbox,
    OAuthStateRepository,
    PostRepository,
    PurchaseRepository,
    SocialConnectionRepository,
    UserRepository,
    VideoRepository,
    WebhookInbox,
)


class UnitOfWork(Protocol):
    """`async with uow: ...; await uow.commit()`.

    Leaving the block without `commit()` (or with an exception) rolls everything back:
    rows, ledger entries, deferred jobs and recorded events. Never hold a unit of work open
    across a provider call. A unit of work object is single-use; ask the factory for a new one.
    """

    @property
    def users(self) -> UserRepository: ...

    @property
    def videos(self) -> VideoRepository: ...

    @property
    def batches(self) -> BatchRepository: ...

    @property
    def purchases(self) -> PurchaseRepository: ...

    @property
    def webhooks(self) -> WebhookInbox: ...

    @property
    def connections(self) -> SocialConnectionRepository: ...

    @property
    def oauth_states(self) -> OAuthStateRepository: ...

    @property
    def posts(self) -> PostRepository: ...

    @property
    def idempotency(self) -> IdempotencyRepository: ...

    @property
    def credentials(self) -> CredentialRepository: ...

    @property
    def ledger(self) -> CreditLedger: ...

    @property
    def jobs(self) -> JobOutbox: ...

    @property
    def events(self) -> EventLog: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make every change of this unit of work durable, atomically."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A fresh unit of work.

        `read_only=True` is for queries that write nothing: an adapter may then skip the
        transaction (each statement sees the latest committed data, and waits for no writer)
        and take no row locks, and its `commit()` may refuse. Never write through one."""
        ...


__all__ = ["UnitOfWork", "UnitOfWorkFactory"]
