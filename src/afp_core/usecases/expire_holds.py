"""ExpireHolds: the sweeper's ledger step — end holds whose time has passed."""

from __future__ import annotations

import attrs

from afp_core.domain.events import CreditsReleased
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory


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
            receipts = await uow.ledger.expire_due(now, limit=command.limit)
            for receipt in receipts:
                if receipt.hold_id is not None:
                    uow.events.record(
                        CreditsReleased(now, receipt.user_id, receipt.hold_id, receipt.amount)
                    )
            await uow.commit()
        return ExpireHoldsResult(len(receipts), sum(r.amount for r in receipts))
