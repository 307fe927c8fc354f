"""Credentials (session tokens and API keys), the password rules and who is calling.

A token is `afp_s_<43 url-safe characters>` (a session) or `afp_k_<...>` (an API key): the
prefix names the kind, the rest is 32 random bytes (`secrets.token_urlsafe(32)`, drawn by the
use cases: the domain makes nothing random). Only the SHA-256 of a token is stored. Tokens are
high-entropy, so a fast hash cannot be brute-forced and a lookup stays one index probe;
passwords are low-entropy and go through the slow `PasswordHasher` port (argon2id) instead.
"""

from __future__ import annotations

import enum
import hashlib
import re
from datetime import datetime, timedelta

import attrs

from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import UserId
from afp_core.domain.users import Role


class CredentialKind(enum.StrEnum):
    SESSION = "session"
    API_KEY = "api_key"


TOKEN_PREFIX: dict[CredentialKind, str] = {
    CredentialKind.SESSION: "afp_s_",
    CredentialKind.API_KEY: "afp_k_",
}
TOKEN_BYTES = 32  # 43 url-safe base64 characters
_TOKEN = re.compile(r"^afp_([sk])_([A-Za-z0-9_-]{43})$")
_KIND_LETTER = {"s": CredentialKind.SESSION, "k": CredentialKind.API_KEY}


def token_kind(token: str) -> CredentialKind | None:
    """The kind a token's shape claims, or None when it cannot be one of ours (so garbage is
    refused before any lookup)."""
    match = _TOKEN.match(token)
    return _KIND_LETTER[match.group(1)] if match else None


def hash_token(token: str) -> str:
    """What is stored and looked up: the token's SHA-256, 64 hex digits."""
    return hashlib.sha256(token.encode()).hexdigest()


def api_key_name(name: str) -> str:
    """A key's label: stripped, 1 to 100 characters."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed("an API key needs a name of 1 to 100 characters")
    return name


@attrs.frozen
class SessionPolicy:
    """How long a session lasts; it is not extended by use."""

    ttl: timedelta = timedelta(days=14)

    def expires_at(self, now: datetime) -> datetime:
        return now + self.ttl


@attrs.frozen
class PasswordPolicy:
    """What a new password must be. Checked on sign-up only: logging in never re-judges one."""

    min_length: int = 10
    max_length: int = 256

    def check(self, password: str, *, email: str) -> None:
        if not self.min_length <= len(password) <= self.max_length:
            raise ValidationFailed(
                f"the password must be {self.min_length} to {self.max_length} characters long"
            )
        if len(set(password)) == 1:
            raise ValidationFailed("the password must not be one character repeated")
        if password.strip().lower() == email.strip().lower():
            raise ValidationFailed("the password must not be the email address")


@attrs.define
class Credential:
    """A session or an API key of one user, known by the hash of its token."""

    id: str
    user_id: UserId
    kind: CredentialKind
    token_hash: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        """Not revoked and not past `expires_at` (API keys have none)."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at

    def revoke(self, now: datetime) -> bool:
        """Revoke it for good; False when it was revoked already (the first time is kept)."""
        if self.revoked_at is not None:
            return False
        self.revoked_at = now
        return True

    def touch(self, now: datetime, *, every: timedelta = timedelta(minutes=1)) -> bool:
        """Note a use; True when `last_used_at` moved, which it does at most once per `every`,
        so a busy key is not written on every request."""
        if self.last_used_at is not None and now - self.last_used_at < every:
            return False
        self.last_used_at = now
        return True


@attrs.frozen
class Principal:
    """Who a request acts for, and through which credential."""

    user_id: UserId
    role: Role
    credential_id: str
    kind: CredentialKind

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


__all__ = [
    "TOKEN_BYTES",
    "TOKEN_PREFIX",
    "Credential",
    "CredentialKind",
    "PasswordPolicy",
    "Principal",
    "SessionPolicy",
    "api_key_name",
    "hash_token",
    "token_kind",
]
