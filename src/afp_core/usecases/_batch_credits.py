"""What a batch's holds say (not a use case): the ledger is the truth about its credits."""

from __future__ import annotations

import attrs

from afp_core.domain.batch import Batch
from afp_core.domain.batch_header import BatchHeader
from afp_core.ports.unit_of_work import UnitOfWork


@attrs.frozen
class BatchCredits:
    """Summed over every hold of the batch (its own and each retry's)."""

    reserved: int  # ever held
    captured: int
    released: int  # released or expired
    held: int  # still open

    @property
    def committed(self) -> int:
        """Spent or still at stake: what a budget caps."""
        return self.captured + self.held


async def batch_credits(uow: UnitOfWork, batch: Batch | BatchHeader) -> BatchCredits:
    holds = [await uow.ledger.get_hold(batch.user_id, hid) for hid in batch.hold_ids]
    return BatchCredits(
        reserved=sum(h.amount for h in holds),
        captured=sum(h.captured for h in holds),
        released=sum(h.released for h in holds),
        held=sum(h.open for h in holds),
    )


__all__ = ["BatchCredits", "batch_credits"]
