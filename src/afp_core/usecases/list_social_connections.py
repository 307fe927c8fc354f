"""ListSocialConnections: the platforms a user has connected (tokens never leave the core)."""

from __future__ import annotations

import attrs

from afp_core.domain.ids import UserId
from afp_core.domain.social import SocialConnection
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class ListSocialConnectionsQuery:
    user_id: UserId


class ListSocialConnections:
    """The user's connections, revoked ones included (their tokens are already forgotten)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: ListSocialConnectionsQuery) -> tuple[SocialConnection, ...]:
        async with self._uow(read_only=True) as uow:
            return tuple(await uow.connections.list_for_user(query.user_id))


__all__ = ["ListSocialConnections", "ListSocialConnectionsQuery"]
