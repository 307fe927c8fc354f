"""CreateUser: register a user, optionally with starting credits."""

from __future__ import annotations

import attrs

from afp_core.domain.ids import UserId
from afp_core.domain.pricing import PlanTier
from afp_core.domain.users import Role, User
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._accounts import open_account


@attrs.frozen
class CreateUserCommand:
    email: str
    role: Role = Role.USER
    plan: PlanTier = PlanTier.FREE
    password_hash: str | None = None
    starting_credits: int = 0


@attrs.frozen
class CreateUserResult:
    user: User
    balance: int


class CreateUser:
    """The user and its sign-up GRANT commit together. A taken email is `Conflict`."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    async def execute(self, command: CreateUserCommand) -> CreateUserResult:
        now = self._clock.now()
        user = User(
            id=UserId(self._ids.new_id()),
            email=command.email,
            created_at=now,
            role=command.role,
            plan=command.plan,
            password_hash=command.password_hash,
        )
        async with self._uow() as uow:
            balance = await open_account(
                uow, user, starting_credits=command.starting_credits, now=now
            )
            await uow.commit()
        return CreateUserResult(user, balance)
