"""LogOut: revoke the session a token belongs to."""

from __future__ import annotations

import attrs

from afp_core.domain.credentials import CredentialKind, hash_token, token_kind
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class LogOutCommand:
    token: str = attrs.field(repr=False)


class LogOut:
    """Idempotent: an unknown, expired or already revoked session is left as it is. Only
    sessions end here; an API key is revoked with `RevokeApiKey`."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: LogOutCommand) -> None:
        if token_kind(command.token) is not CredentialKind.SESSION:
            return
        async with self._uow() as uow:
            session = await uow.credentials.by_token_hash(hash_token(command.token))
            if session is None or session.kind is not CredentialKind.SESSION:
                return
            if session.revoke(self._clock.now()):
                await uow.credentials.save(session)
                await uow.commit()
