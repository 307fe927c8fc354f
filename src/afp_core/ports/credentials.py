"""Credentials at rest (`CredentialRepository`) and password hashing (`PasswordHasher`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from afp_core.domain.credentials import Credential
from afp_core.domain.ids import UserId
from afp_core.domain.users import Role


class CredentialRepository(Protocol):
    """Sessions and API keys, found by the SHA-256 of their token; never the token itself."""

    async def add(self, credential: Credential) -> None:
        """Store a new credential; `Conflict` if its id or token hash is taken."""
        ...

    async def by_token_hash(self, token_hash: str) -> Credential | None:
        """The credential with this token hash, whatever its state (the caller judges it)."""
        ...

    async def holder_by_token_hash(self, token_hash: str) -> tuple[Credential, Role] | None:
        """The credential with this token hash and its user's role, in one look-up; None when
        there is no such credential (or, which cannot happen, no such user)."""
        ...

    async def get(self, user_id: UserId, credential_id: str) -> Credential:
        """The user's credential or `NotFound` (another user's is not found)."""
        ...

    async def save(self, credential: Credential) -> None:
        """Persist `revoked_at` and `last_used_at` of a loaded credential; `NotFound` if it is
        not the user's. Merged with what is stored, so a stale copy cannot undo a concurrent
        change: a revoked credential stays revoked (at its first `revoked_at`) and
        `last_used_at` only moves forward."""
        ...

    async def list_api_keys(self, user_id: UserId) -> Sequence[Credential]:
        """The user's API keys, revoked ones included, oldest first."""
        ...


class PasswordHasher(Protocol):
    """A slow, salted password hash (argon2id). Hashing costs tens of milliseconds of CPU, so
    the methods that do it are async and run off the event loop; call them outside any unit
    of work."""

    async def hash(self, password: str) -> str:
        """A new self-describing hash (algorithm, parameters and salt included)."""
        ...

    async def verify(self, hash: str, password: str) -> bool:
        """Whether `password` matches `hash`; False (never an error) for a malformed hash."""
        ...

    def needs_rehash(self, hash: str) -> bool:
        """Whether `hash` was made with other parameters than the current ones (cheap)."""
        ...


__all__ = ["CredentialRepository", "PasswordHasher"]
