"""Ports for money and the job queue's consumer side (the social ones live in `ports.social`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from afp_core.domain.jobs import Job
from afp_core.domain.payments import (
    Checkout,
    PaymentNotice,
    PaymentProviderName,
    ProviderPayment,
    Purchase,
)
from afp_core.domain.pricing import CreditPack
from afp_core.ports.social import (
    PublishRequest,
    PublishState,
    PublishStatus,
    SocialPublisher,
    TokenCipher,
    VideoUpload,
)


class PaymentProvider(Protocol):
    name: PaymentProviderName

    async def create_checkout(
        self, purchase: Purchase, pack: CreditPack, *, email: str, redirect_url: str | None
    ) -> Checkout:
        """A hosted checkout for the purchase; the provider will echo `purchase.id` back."""
        ...

    def parse_notice(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        """Verify the webhook's signature on the raw bytes (`InvalidSignature` otherwise) and
        normalise it. Never skips verification. A verified event the adapter will not act on
        (an unknown type, a test-mode event on a live server, a status that moves no money)
        is an `IGNORED` notice, so it is stored and answered 200."""
        ...

    async def confirm(self, notice: PaymentNotice) -> PaymentNotice:
        """The notice as the provider's own API confirms it, read before any credit moves.
        A provider whose signed webhooks are authoritative returns the notice unchanged; one
        whose test webhooks are signed like real ones (Cryptomus) re-reads the payment and
        returns what it says (an `IGNORED` notice when it disagrees). Outside any unit of
        work: this may call the network."""
        ...

    async def lookup(self, purchase: Purchase) -> ProviderPayment:
        """The provider's current record of the purchase's payment (reconciliation)."""
        ...


class JobQueue(Protocol):
    """The consumer side of the jobs the units of work defer."""

    async def due(self, now: datetime, *, limit: int = 10) -> Sequence[tuple[str, Job]]:
        """Claim up to `limit` jobs whose `run_at <= now`: `(job_id, job)` pairs."""
        ...

    async def complete(self, job_id: str) -> None: ...

    async def retry(self, job_id: str, *, run_at: datetime, error: str) -> None: ...

    async def fail(self, job_id: str, *, error: str) -> None: ...

    async def next_run_at(self) -> datetime | None:
        """When the earliest waiting job is due, or None when there are none."""
        ...

    async def requeue_stale(self, older_than: datetime) -> int:
        """Put jobs `running` since before `older_than` (their worker died: the lease ran out)
        back to `waiting` at their old `run_at` (due at once); returns how many. A stale job
        whose dedupe key a waiting job already holds is failed instead (that one does its
        work). Every use case a job runs is idempotent, so a job run twice is harmless."""
        ...


__all__ = [
    "JobQueue",
    "PaymentProvider",
    "PublishRequest",
    "PublishState",
    "PublishStatus",
    "SocialPublisher",
    "TokenCipher",
    "VideoUpload",
]
