"""ExpireHolds: the sweeper's ledger step — end holds whose time has passed."""

from __future__ import annotations

import attrs

from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._recovery import expire_due_holds


@attrs.frozen
class ExpireHoldsCommand:
    limit: int = 500


@attrs.frozen
class ExpireHoldsResult:
    holds_expired: int
    credits_released: int


class ExpireHolds:
    """Each expired hold releases exactly its open remainder (L11), by the injected clock."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: ExpireHoldsCommand) -> ExpireHoldsResult:
        now = self._clock.now()
        async with self._uow() as uow:
            receipts = await expire_due_holds(uow, now, limit=command.limit)
            await uow.commit()
        return ExpireHoldsResult(len(receipts), sum(r.amount for r in receipts))
