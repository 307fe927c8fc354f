"""RetryBatchItems: run a batch's failed items again, on a new hold for just those items."""

from __future__ import annotations

import attrs

from afp_core.domain.batch import BatchStatus, check_budget
from afp_core.domain.events import CreditsHeld
from afp_core.domain.ids import BatchId, UserId
from afp_core.domain.policy import BatchLimits
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._batch_credits import batch_credits
from afp_core.usecases._settlement import queue_items


@attrs.frozen
class RetryBatchItemsCommand:
    user_id: UserId
    batch_id: BatchId


@attrs.frozen
class RetryBatchItemsResult:
    batch_id: BatchId
    status: BatchStatus
    items_retried: int
    credits_reserved: int


class RetryBatchItems:
    """In one unit of work: hold the sum of the failed items' prices (a new hold, so what the
    first hold settled stays settled), put those items back in line as their next attempt and
    queue the first window of them.

    A batch with no failed item, or a cancelled one, is `IllegalTransition`. With a budget,
    what the batch has captured, still holds and would hold again must fit in it
    (`BudgetExceeded`); credits not available are `InsufficientCredits`. Nothing is written
    on refusal.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        limits: BatchLimits | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._limits = limits or BatchLimits()

    async def execute(self, command: RetryBatchItemsCommand) -> RetryBatchItemsResult:
        now = self._clock.now()
        async with self._uow() as uow:
            batch = await uow.batches.get(command.user_id, command.batch_id)
            amount = sum(i.price for i in batch.retryable())
            check_budget((await batch_credits(uow, batch)).committed + amount, batch.budget)
            receipt = await uow.ledger.hold(
                batch.user_id,
                amount,
                key=f"batch:{batch.id}:retry:{self._ids.new_id()}:hold",
                now=now,
                expires_at=now + self._limits.batch_hold_ttl,
                reference=f"batch:{batch.id}",
            )
            assert receipt.hold_id is not None  # noqa: S101 - a hold receipt names its hold
            hold_id = receipt.hold_id
            retried = batch.retry_failed(hold_id, now)
            await queue_items(uow, batch, batch.dispatch(now), now)
            await uow.batches.save(batch)
            uow.events.record(CreditsHeld(now, batch.user_id, hold_id, amount))
            await uow.commit()
        return RetryBatchItemsResult(batch.id, batch.status, len(retried), amount)


__all__ = ["RetryBatchItems", "RetryBatchItemsCommand", "RetryBatchItemsResult"]
