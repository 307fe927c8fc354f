"""Authenticate: who a bearer token (a session or an API key) acts for.

One read-only look-up (the credential joined with its user's role) per token, then a short
in-process memory of verified tokens (`VerifiedTokens`), so a busy client is not looked up on
every request. Revoking a token (`LogOut`, `RevokeApiKey`) forgets it in this process at
once; other processes accept it until their entry ages out (`VerifiedTokens.ttl`, 5 s).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from afp_core.domain.credentials import CredentialKind, Principal, hash_token, token_kind
from afp_core.domain.errors import NotFound, Unauthenticated
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._credentials import VerifiedTokens, _Verified

REFUSED = "the token is invalid, expired or revoked"


@attrs.frozen
class AuthenticateCommand:
    token: str = attrs.field(repr=False)


class Authenticate:
    """`Unauthenticated` for a token that is malformed, unknown, expired or revoked. An API
    key's `last_used_at` is written at most once a minute, not on every request."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, tokens: VerifiedTokens | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._tokens = tokens

    async def execute(self, command: AuthenticateCommand) -> Principal:
        kind = token_kind(command.token)
        if kind is None:
            raise Unauthenticated(REFUSED)
        now = self._clock.now()
        token_hash = hash_token(command.token)
        tokens = self._tokens
        if tokens is not None:
            known = tokens.get(token_hash, now)
            if known is not None and known.principal.kind is kind and not _touch_due(known, now):
                return known.principal
        if tokens is None:
            return await self._verify(token_hash, kind, now)
        return await tokens.single_flight(token_hash, lambda: self._verify(token_hash, kind, now))

    async def _verify(self, token_hash: str, kind: CredentialKind, now: datetime) -> Principal:
        """The database's answer for the token, remembered in `tokens` when it is valid."""
        tokens = self._tokens
        generation = tokens.generation if tokens is not None else 0
        async with self._uow(read_only=True) as uow:
            found = await uow.credentials.holder_by_token_hash(token_hash)
        if found is None:
            raise Unauthenticated(REFUSED)
        credential, role = found
        if credential.kind is not kind or not credential.is_active(now):
            raise Unauthenticated(REFUSED)
        if kind is CredentialKind.API_KEY and credential.touch(now):
            async with self._uow() as uow:
                try:  # merged with what is stored: a revocation meanwhile is kept
                    await uow.credentials.save(credential)
                except NotFound:
                    raise Unauthenticated(REFUSED) from None
                await uow.commit()
        principal = Principal(credential.user_id, role, credential.id, kind)
        if tokens is not None:
            until = now + tokens.ttl
            if credential.expires_at is not None:
                until = min(until, credential.expires_at)
            tokens.put(token_hash, _Verified(principal, until, credential.last_used_at), generation)
        return principal


def _touch_due(entry: _Verified, now: datetime) -> bool:
    """Whether an API key's `last_used_at` is due to be written again (once a minute)."""
    if entry.principal.kind is not CredentialKind.API_KEY:
        return False
    last = entry.last_used_at
    return last is None or now - last >= timedelta(minutes=1)


__all__ = ["Authenticate", "AuthenticateCommand", "VerifiedTokens"]
