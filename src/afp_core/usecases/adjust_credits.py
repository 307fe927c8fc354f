"""AdjustCredits: an admin corrects a user's balance, with a reason, exactly once per key."""

from __future__ import annotations

import attrs

from afp_core.domain.errors import Forbidden, ValidationFailed
from afp_core.domain.ids import UserId
from afp_core.domain.ledger import AccountBalance
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class AdjustCreditsCommand:
    actor_id: UserId
    user_id: UserId
    amount: int  # signed
    reason: str
    idempotency_key: str


@attrs.frozen
class AdjustCreditsResult:
    balance: AccountBalance
    replayed: bool


class AdjustCredits:
    """Only admins may adjust (`Forbidden` otherwise). A debit beyond what is available is
    `InsufficientCredits`. The same key replays; a different request with it conflicts."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: AdjustCreditsCommand) -> AdjustCreditsResult:
        if not command.reason.strip():
            raise ValidationFailed("an adjustment needs a reason")
        now = self._clock.now()
        async with self._uow() as uow:
            actor = await uow.users.get(command.actor_id)
            if not actor.is_admin:
                raise Forbidden("only admins can adjust credits")
            await uow.users.get(command.user_id)
            before = len(await uow.ledger.all_entries(command.user_id))
            await uow.ledger.adjust(
                command.user_id,
                command.amount,
                key=f"admin:{command.idempotency_key}",
                now=now,
                reason=f"{command.reason.strip()} (by {actor.email})",
            )
            replayed = len(await uow.ledger.all_entries(command.user_id)) == before
            balance = await uow.ledger.balance(command.user_id)
            await uow.commit()
        return AdjustCreditsResult(balance, replayed)
