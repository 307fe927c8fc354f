"""DisconnectSocialAccount: revoke a user's platform tokens and mark the connection revoked."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from afp_core.domain.errors import DomainError, NotFound
from afp_core.domain.ids import UserId
from afp_core.domain.social import (
    ConnectionStatus,
    OAuthTokens,
    SocialConnection,
    SocialProvider,
)
from afp_core.ports.commerce import SocialPublisher, TokenCipher
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class DisconnectSocialAccountCommand:
    user_id: UserId
    provider: SocialProvider


@attrs.frozen
class DisconnectSocialAccountResult:
    provider: SocialProvider
    status: ConnectionStatus
    revoked_at_provider: bool  # False: the user may revoke the app in the platform's settings


class DisconnectSocialAccount:
    """Forget a user's connection to a platform.

    The platform is asked to revoke the tokens, best effort: a platform error (or tokens that no
    longer decrypt) never keeps the connection, which is marked REVOKED either way. Disconnecting
    twice is harmless; a connection that never existed is `NotFound`.
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

    async def execute(
        self, command: DisconnectSocialAccountCommand
    ) -> DisconnectSocialAccountResult:
        async with self._uow() as uow:
            connection = await uow.connections.get(command.user_id, command.provider)
        if connection is None:
            raise NotFound(f"no {command.provider.value} connection found")
        if connection.status is ConnectionStatus.REVOKED:
            return DisconnectSocialAccountResult(
                command.provider, connection.status, revoked_at_provider=True
            )
        revoked = await self._revoke_at_provider(connection)
        async with self._uow() as uow:
            current = await uow.connections.get(command.user_id, command.provider)
            if current is None:
                raise NotFound(f"no {command.provider.value} connection found")
            current.revoke()
            await uow.connections.save(current)
            await uow.commit()
        return DisconnectSocialAccountResult(command.provider, current.status, revoked)

    async def _revoke_at_provider(self, connection: SocialConnection) -> bool:
        publisher = self._publishers.get(connection.provider)
        if publisher is None:
            return False
        try:
            refresh = connection.refresh_token_enc
            tokens = OAuthTokens(
                access_token=self._cipher.decrypt(connection.access_token_enc),
                refresh_token=self._cipher.decrypt(refresh) if refresh else None,
                expires_at=connection.expires_at,
                scopes=connection.scopes,
                account_id=connection.account_id,
                account_name=connection.account_name,
            )
            await publisher.revoke(tokens)
        except (DomainError, ValueError):
            return False
        return True


__all__ = [
    "DisconnectSocialAccount",
    "DisconnectSocialAccountCommand",
    "DisconnectSocialAccountResult",
]
