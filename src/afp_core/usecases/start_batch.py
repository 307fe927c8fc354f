"""StartBatch: validate every row, price it, and reserve the whole batch in one transaction."""

from __future__ import annotations

import attrs

from afp_core.domain.batch import (
    VARIANT_OPTION,
    Batch,
    BatchItem,
    BatchRow,
    BatchStatus,
    check_budget,
)
from afp_core.domain.batch_pricing import BatchDefaults, price_rows
from afp_core.domain.events import BatchStarted, CreditsHeld
from afp_core.domain.idempotency import IdempotencyRecord, check_key, fingerprint
from afp_core.domain.ids import BatchId, BatchItemId, UserId
from afp_core.domain.policy import BatchLimits
from afp_core.domain.pricing import PriceTable
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from afp_core.usecases._settlement import queue_items


@attrs.frozen
class StartBatchCommand:
    user_id: UserId
    rows: tuple[BatchRow, ...]
    model: str = "veo3_fast"
    duration_s: int = 8
    aspect_ratio: str = "9:16"
    idempotency_key: str | None = None
    budget: int | None = None  # credits the batch may ever spend (retries included)


@attrs.frozen
class StartBatchResult:
    batch_id: BatchId
    status: BatchStatus
    total_items: int
    credits_reserved: int
    replayed: bool = False
    budget: int | None = None


class StartBatch:
    """Reserve and queue a batch.

    Every row is validated and priced first; any bad row fails the whole request with
    `InvalidRows` listing each bad row, and nothing is written. A total over the budget is
    `BudgetExceeded`, over the available credits `InsufficientCredits`, again with nothing
    written. Then one unit of work creates the batch, its items, one hold for the total and the
    `process_batch_item` jobs of its first window of items (all or nothing: L10); each settled
    item queues the next.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        prices: PriceTable,
        limits: BatchLimits | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._prices = prices
        self._limits = limits or BatchLimits()

    @staticmethod
    async def _replay(
        uow: UnitOfWork, user_id: UserId, key: str, request_fp: str
    ) -> StartBatchResult | None:
        """The batch this key started, if it was used (`IdempotencyConflict` for another
        request under the same key)."""
        found = await uow.idempotency.get(f"start_batch:{user_id}", key)
        if found is None:
            return None
        batch = await uow.batches.get(user_id, BatchId(found.replay(request_fp)))
        return StartBatchResult(
            batch.id,
            batch.status,
            len(batch.items),
            batch.total_credits_reserved,
            replayed=True,
            budget=batch.budget,
        )

    async def execute(self, command: StartBatchCommand) -> StartBatchResult:
        key = check_key(command.idempotency_key) if command.idempotency_key else None
        request_fp = fingerprint(
            "start_batch", attrs.asdict(command, filter=lambda a, _: a.name != "idempotency_key")
        )
        scope = f"start_batch:{command.user_id}"
        async with self._uow() as uow:
            user = await uow.users.get(command.user_id)
            # a replay answers with the batch it started, even if the rules changed since
            if key is not None and (
                replayed := await self._replay(uow, command.user_id, key, request_fp)
            ):
                return replayed
        defaults = BatchDefaults(command.model, command.duration_s, command.aspect_ratio)
        priced = price_rows(
            command.rows, defaults, self._prices, user.plan, max_rows=self._limits.max_rows
        )
        total = sum(p.price for p in priced)
        now = self._clock.now()
        batch_id = BatchId(self._ids.new_id())
        async with self._uow() as uow:
            if key is not None and (
                replayed := await self._replay(uow, command.user_id, key, request_fp)
            ):
                return replayed  # the same request, started in between
            check_budget(total, command.budget)
            receipt = await uow.ledger.hold(
                command.user_id,
                total,
                key=f"batch:{batch_id}:hold",
                now=now,
                expires_at=now + self._limits.batch_hold_ttl,
                reference=f"batch:{batch_id}",
            )
            assert receipt.hold_id is not None  # noqa: S101 - a hold receipt names its hold
            items = [
                BatchItem(
                    id=BatchItemId(self._ids.new_id()),
                    row_index=p.row.row_index,
                    url=p.row.url.strip(),
                    price=p.unit_price,
                    options=_item_options(p.row, variant, p.variants),
                )
                for p in priced
                for variant in range(1, p.variants + 1)
            ]
            batch = Batch(
                id=batch_id,
                user_id=command.user_id,
                hold_id=receipt.hold_id,
                items=items,
                created_at=now,
                updated_at=now,
                metadata=defaults.as_metadata(),
                budget=command.budget,
                window=self._limits.user_concurrency,
            )
            first = batch.dispatch(now)
            await uow.batches.add(batch)
            await queue_items(uow, batch, first, now)
            if key is not None:
                await uow.idempotency.add(IdempotencyRecord(scope, key, request_fp, batch_id, now))
            uow.events.record(CreditsHeld(now, command.user_id, receipt.hold_id, total))
            uow.events.record(BatchStarted(now, batch_id, command.user_id, len(items), total))
            await uow.commit()
        return StartBatchResult(
            batch_id, BatchStatus.RUNNING, len(items), total, budget=command.budget
        )


def _item_options(row: BatchRow, variant: int, variants: int) -> dict[str, str]:
    """The row's options; an item of a row with variants also says which one it is."""
    options = dict(row.options)
    if variants > 1:
        options[VARIANT_OPTION] = str(variant)
    return options


__all__ = ["StartBatch", "StartBatchCommand", "StartBatchResult"]
