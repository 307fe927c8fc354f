"""LogOut: revoke the session a token belongs to."""

from __future__ import annotations

import attrs

from afp_core.domain.credentials import CredentialKind, hash_token, token_kind
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._credentials import VerifiedTokens


@attrs.frozen
class LogOutCommand:
    token: str = attrs.field(repr=False)


class LogOut:
    """Idempotent: an unknown, expired or already revoked session is left as it is. Only
    sessions end here; an API key is revoked with `RevokeApiKey`."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, tokens: VerifiedTokens | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._tokens = tokens  # this process's verified tokens: the session is forgotten

    async def execute(self, command: LogOutCommand) -> None:
        if token_kind(command.token) is not CredentialKind.SESSION:
            return
        token_hash = hash_token(command.token)
        async with self._uow() as uow:
            session = await uow.credentials.by_token_hash(token_hash)
            if session is None or session.kind is not CredentialKind.SESSION:
                return
            if session.revoke(self._clock.now()):
                await uow.credentials.save(session)
                await uow.commit()
        if self._tokens is not None:
            self._tokens.forget(token_hash)
