"""ListUsers: every account with its credits, for admins."""

from __future__ import annotations

import attrs

from afp_core.domain.errors import Forbidden
from afp_core.domain.ids import UserId
from afp_core.domain.ledger import AccountBalance
from afp_core.domain.users import User
from afp_core.ports.unit_of_work import UnitOfWorkFactory

MAX_PAGE = 100


@attrs.frozen
class ListUsersQuery:
    actor_id: UserId
    limit: int = attrs.field(default=50, validator=attrs.validators.in_(range(1, MAX_PAGE + 1)))
    offset: int = attrs.field(default=0, validator=attrs.validators.ge(0))


@attrs.frozen
class UserAccount:
    user: User
    credits: AccountBalance


@attrs.frozen
class UserPage:
    items: tuple[UserAccount, ...]
    total: int


class ListUsers:
    """Users in the order they signed up, each with their balance; only admins may list them
    (`Forbidden` otherwise)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: ListUsersQuery) -> UserPage:
        async with self._uow(read_only=True) as uow:
            actor = await uow.users.get(query.actor_id)
            if not actor.is_admin:
                raise Forbidden("only admins can list users")
            users = await uow.users.list(limit=query.limit, offset=query.offset)
            items = [UserAccount(u, await uow.ledger.balance(u.id)) for u in users]
            totals = await uow.users.totals()
        return UserPage(tuple(items), totals.users)


__all__ = ["ListUsers", "ListUsersQuery", "UserAccount", "UserPage"]
