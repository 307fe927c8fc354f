"""FinishSocialConnection: trade the platform's authorisation code for tokens and keep them
encrypted."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import UserId
from afp_core.domain.social import SocialConnection, SocialProvider
from afp_core.ports.social import SocialPublisher, TokenCipher
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._social_tokens import seal

EXPIRED = "the sign-in link has expired; start again"


@attrs.frozen
class FinishSocialConnectionCommand:
    state: str
    code: str = attrs.field(repr=False)


@attrs.frozen
class FinishSocialConnectionResult:
    user_id: UserId
    provider: SocialProvider
    account_name: str


class FinishSocialConnection:
    """Complete the sign-in that `BeginSocialConnection` started.

    The pending state is taken out in its own unit of work and committed before the platform is
    called, so it works once only, whatever happens next. An unknown or expired state is
    `ValidationFailed`. The code is exchanged outside any unit of work; a grant without every
    scope the platform's publisher needs is `ValidationFailed`. The tokens are stored only as
    the cipher's ciphertexts bound to their row, replacing any earlier connection to that
    platform (a connection that NEEDS_RECONNECT is CONNECTED again).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[SocialProvider, SocialPublisher],
        cipher: TokenCipher,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._publishers = publishers
        self._cipher = cipher
        self._clock = clock

    async def execute(self, command: FinishSocialConnectionCommand) -> FinishSocialConnectionResult:
        async with self._uow() as uow:
            pending = await uow.oauth_states.pop(command.state)
            await uow.commit()
        if pending is None or pending.expires_at <= self._clock.now():
            raise ValidationFailed(EXPIRED)
        publisher = self._publishers.get(pending.provider)
        if publisher is None:
            raise ValidationFailed(f"publishing to {pending.provider.value} is not available")
        tokens = await publisher.exchange_code(
            code=command.code,
            code_verifier=pending.code_verifier,
            redirect_uri=pending.redirect_uri,
        )
        missing = sorted(publisher.required_scopes - set(tokens.scopes))
        if missing:
            raise ValidationFailed(
                f"{pending.provider.value} did not grant {', '.join(missing)}: connect again "
                "and allow every permission AFP asks for"
            )
        connection = SocialConnection(
            user_id=pending.user_id,
            provider=pending.provider,
            access_token_enc="",
            refresh_token_enc=None,
            expires_at=None,
            scopes=tokens.scopes,
            account_id=tokens.account_id,
            account_name=tokens.account_name,
            connected_at=self._clock.now(),
        )
        seal(self._cipher, connection, tokens)
        async with self._uow() as uow:
            await uow.connections.save(connection)
            await uow.commit()
        return FinishSocialConnectionResult(pending.user_id, pending.provider, tokens.account_name)


__all__ = [
    "FinishSocialConnection",
    "FinishSocialConnectionCommand",
    "FinishSocialConnectionResult",
]
