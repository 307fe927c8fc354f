"""RefreshConnections: refresh the tokens that are due on the platform's schedule (the
recurring `refresh_connections` job), so an idle connection does not lapse."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from afp_core.domain.errors import DomainError, ReconnectRequired
from afp_core.domain.policy import SocialTiming
from afp_core.domain.social import SocialProvider
from afp_core.ports.social import SocialPublisher, TokenCipher
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._social_tokens import TokenKeeper, unseal


@attrs.frozen
class RefreshConnectionsCommand:
    limit: int = 200  # connections looked at per run, soonest expiry first


@attrs.frozen
class RefreshConnectionsResult:
    refreshed: int
    needs_reconnect: int  # grants the platforms no longer honour (the users are told)
    failed: int  # left for the next run (a platform briefly down, a refresh in progress)


class RefreshConnections:
    """Look at CONNECTED connections whose tokens expire within
    `timing.connections_refresh_horizon` and refresh those the platform's publisher says are
    due (Instagram's long-lived tokens before they lapse), each under its refresh lease."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[SocialProvider, SocialPublisher],
        cipher: TokenCipher,
        clock: Clock,
        timing: SocialTiming | None = None,
    ) -> None:
        self._uow = uow
        self._publishers = publishers
        self._cipher = cipher
        self._clock = clock
        self._timing = timing or SocialTiming()
        self._tokens = TokenKeeper(uow, cipher, clock, self._timing)

    async def execute(self, command: RefreshConnectionsCommand) -> RefreshConnectionsResult:
        now = self._clock.now()
        async with self._uow(read_only=True) as uow:
            found = await uow.connections.due_for_refresh(
                now + self._timing.connections_refresh_horizon, limit=command.limit
            )
        refreshed = lapsed = failed = 0
        for connection in found:
            publisher = self._publishers.get(connection.provider)
            if publisher is None:
                continue
            try:
                if not publisher.refresh_due(unseal(self._cipher, connection), now):
                    continue
            except ValueError:
                pass  # unreadable: `usable` marks it for reconnecting
            try:
                await self._tokens.usable(publisher, connection)
            except ReconnectRequired:
                lapsed += 1
            except DomainError:
                failed += 1
            else:
                refreshed += 1
        return RefreshConnectionsResult(refreshed, lapsed, failed)


__all__ = ["RefreshConnections", "RefreshConnectionsCommand", "RefreshConnectionsResult"]
