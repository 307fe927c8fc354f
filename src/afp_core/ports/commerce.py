"""Ports for money and social platforms, secrets at rest, and the job queue's consumer side."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from afp_core.domain.jobs import Job
from afp_core.domain.payments import Checkout, PaymentNotice, PaymentProviderName, Purchase
from afp_core.domain.pricing import CreditPack
from afp_core.domain.social import OAuthTokens, SocialProvider


class PaymentProvider(Protocol):
    name: PaymentProviderName

    async def create_checkout(
        self, purchase: Purchase, pack: CreditPack, *, email: str, redirect_url: str | None
    ) -> Checkout:
        """A hosted checkout for the purchase; the provider will echo `purchase.id` back."""
        ...

    def parse_notice(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        """Verify the webhook's signature on the raw bytes (`InvalidSignature` otherwise) and
        normalise it. Never skips verification."""
        ...


class PublishState(enum.StrEnum):
    PROCESSING = "processing"
    PUBLISHED = "published"
    FAILED = "failed"


@attrs.frozen
class PublishStatus:
    state: PublishState
    provider_post_id: str | None = None
    post_url: str | None = None
    error: str = ""


class SocialPublisher(Protocol):
    provider: SocialProvider

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        """Where to send the user to grant access (OAuth 2 with PKCE where supported)."""
        ...

    async def exchange_code(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> OAuthTokens: ...

    async def refresh(self, tokens: OAuthTokens) -> OAuthTokens: ...

    async def publish(self, tokens: OAuthTokens, *, video_url: str, caption: str) -> str:
        """Start publishing and return the provider's publish id (irreversible)."""
        ...

    async def status(self, tokens: OAuthTokens, publish_id: str) -> PublishStatus: ...

    async def revoke(self, tokens: OAuthTokens) -> None: ...


class TokenCipher(Protocol):
    def encrypt(self, plaintext: str) -> str:
        """Authenticated encryption with the current key."""
        ...

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt with any key of the ring; `ValueError` when it does not verify."""
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
    "PublishState",
    "PublishStatus",
    "SocialPublisher",
    "TokenCipher",
]
