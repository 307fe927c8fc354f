"""Issuing tokens, shared by `SignUp`, `LogIn` and `CreateApiKey`.

The random part of a token comes from the operating system's CSPRNG (`secrets`), never from
the `IdGenerator` port: ids may be predictable (the fakes' are), secrets must not be.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from afp_core.domain.credentials import (
    TOKEN_BYTES,
    TOKEN_PREFIX,
    Credential,
    CredentialKind,
    SessionPolicy,
    hash_token,
)
from afp_core.domain.ids import UserId
from afp_core.ports.system import IdGenerator
from afp_core.ports.unit_of_work import UnitOfWork


def new_token(kind: CredentialKind) -> str:
    """`afp_s_...` or `afp_k_...`: the prefix and 32 random bytes, url-safe base64."""
    return TOKEN_PREFIX[kind] + secrets.token_urlsafe(TOKEN_BYTES)


async def issue(
    uow: UnitOfWork,
    ids: IdGenerator,
    *,
    user_id: UserId,
    kind: CredentialKind,
    name: str,
    now: datetime,
    expires_at: datetime | None,
) -> tuple[Credential, str]:
    """Store a new credential inside `uow`; the credential and its token (shown once)."""
    token = new_token(kind)
    credential = Credential(
        id=ids.new_id(),
        user_id=user_id,
        kind=kind,
        token_hash=hash_token(token),
        name=name,
        created_at=now,
        expires_at=expires_at,
    )
    await uow.credentials.add(credential)
    return credential, token


async def open_session(
    uow: UnitOfWork, ids: IdGenerator, policy: SessionPolicy, user_id: UserId, now: datetime
) -> tuple[str, datetime]:
    """Store a new session for the user inside `uow`; its token and when it expires."""
    expires_at = policy.expires_at(now)
    _, token = await issue(
        uow,
        ids,
        user_id=user_id,
        kind=CredentialKind.SESSION,
        name="session",
        now=now,
        expires_at=expires_at,
    )
    return token, expires_at
