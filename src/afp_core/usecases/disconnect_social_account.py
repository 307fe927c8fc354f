"""DisconnectSocialAccount: revoke a user's grant at the platform and delete the tokens."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from afp_core.domain.errors import DomainError, NotFound
from afp_core.domain.ids import UserId
from afp_core.domain.social import ConnectionStatus, SocialConnection, SocialProvider
from afp_core.ports.social import SocialPublisher, TokenCipher
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._social_tokens import unseal


@attrs.frozen
class DisconnectSocialAccountCommand:
    user_id: UserId
    provider: SocialProvider


@attrs.frozen
class DisconnectSocialAccountResult:
    provider: SocialProvider
    status: ConnectionStatus
    revoked_at_provider: bool  # False: the user may revoke the app in the platform's settings
    revoke_error: str | None = None  # why the platform did not revoke (for the log; no secrets)


class DisconnectSocialAccount:
    """Forget a user's connection to a platform.

    The platform is asked to revoke the grant where it allows it, best effort: a platform
    error, tokens that no longer decrypt, or a connection whose tokens are already gone
    (NEEDS_RECONNECT) never keep the connection, which is marked REVOKED with its tokens
    deleted either way. Disconnecting twice is harmless; a connection that never existed is
    `NotFound`.
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
        revoke_error = await self._revoke_at_provider(connection)
        async with self._uow() as uow:
            current = await uow.connections.get(command.user_id, command.provider)
            if current is None:
                raise NotFound(f"no {command.provider.value} connection found")
            current.revoke()
            await uow.connections.save(current)
            await uow.commit()
        return DisconnectSocialAccountResult(
            command.provider, current.status, revoke_error is None, revoke_error
        )

    async def _revoke_at_provider(self, connection: SocialConnection) -> str | None:
        """None when the platform revoked the grant; else why not."""
        publisher = self._publishers.get(connection.provider)
        if publisher is None:
            return f"publishing to {connection.provider.value} is not available"
        if not connection.access_token_enc:
            return "the sign-in had already lapsed"
        try:
            await publisher.revoke(unseal(self._cipher, connection))
        except DomainError as error:
            return f"{error.code}: {error.message}"
        except ValueError:
            return "the saved sign-in can no longer be read"
        return None


__all__ = [
    "DisconnectSocialAccount",
    "DisconnectSocialAccountCommand",
    "DisconnectSocialAccountResult",
]
