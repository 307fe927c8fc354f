"""Authenticate: who a bearer token (a session or an API key) acts for."""

from __future__ import annotations

import attrs

from afp_core.domain.credentials import CredentialKind, Principal, hash_token, token_kind
from afp_core.domain.errors import NotFound, Unauthenticated
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory

REFUSED = "the token is invalid, expired or revoked"


@attrs.frozen
class AuthenticateCommand:
    token: str = attrs.field(repr=False)


class Authenticate:
    """`Unauthenticated` for a token that is malformed, unknown, expired or revoked. An API
    key's `last_used_at` is written at most once a minute, not on every request."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: AuthenticateCommand) -> Principal:
        kind = token_kind(command.token)
        if kind is None:
            raise Unauthenticated(REFUSED)
        now = self._clock.now()
        async with self._uow() as uow:
            credential = await uow.credentials.by_token_hash(hash_token(command.token))
            if credential is None or credential.kind is not kind or not credential.is_active(now):
                raise Unauthenticated(REFUSED)
            try:
                user = await uow.users.get(credential.user_id)
            except NotFound:
                raise Unauthenticated(REFUSED) from None
            if kind is CredentialKind.API_KEY and credential.touch(now):
                await uow.credentials.save(credential)
                await uow.commit()
        return Principal(user.id, user.role, credential.id, kind)
