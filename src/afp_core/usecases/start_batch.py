"""StartBatch: validate every row, price it, and reserve the whole batch in one transaction."""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

from afp_core.domain.batch import Batch, BatchItem, BatchRow, BatchStatus
from afp_core.domain.batch_csv import OPTION_COLUMNS
from afp_core.domain.errors import InvalidRows, RowError, ValidationFailed
from afp_core.domain.events import BatchStarted, CreditsHeld
from afp_core.domain.idempotency import IdempotencyRecord, check_key, fingerprint
from afp_core.domain.ids import BatchId, BatchItemId, UserId
from afp_core.domain.jobs import Job, JobName
from afp_core.domain.policy import BatchLimits
from afp_core.domain.pricing import PlanTier, PriceTable
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class StartBatchCommand:
    user_id: UserId
    rows: tuple[BatchRow, ...]
    model: str = "veo3_fast"
    duration_s: int = 8
    aspect_ratio: str = "9:16"
    idempotency_key: str | None = None


@attrs.frozen
class StartBatchResult:
    batch_id: BatchId
    status: BatchStatus
    total_items: int
    credits_reserved: int
    replayed: bool = False


def _row_price(
    row: BatchRow, command: StartBatchCommand, prices: PriceTable, plan: PlanTier
) -> int | RowError:
    """The row's price, or the first thing wrong with it."""
    parts = urlsplit(row.url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return RowError(row.row_index, "url", "must be an http(s) URL with a host")
    for column in sorted(set(row.options) - OPTION_COLUMNS):
        return RowError(row.row_index, column, "unknown column")
    raw_duration = row.options.get("duration_s") or str(command.duration_s)
    if not raw_duration.strip().isdigit():
        return RowError(
            row.row_index, "duration_s", f"must be a whole number of seconds, not {raw_duration!r}"
        )
    model = row.options.get("model") or command.model
    aspect = row.options.get("aspect_ratio") or command.aspect_ratio
    try:
        price = prices.price(model, int(raw_duration), aspect).amount
    except ValidationFailed as error:
        column = "model" if row.options.get("model") or "model" in error.message else "options"
        return RowError(row.row_index, column, error.message)
    if prices.model(model) not in prices.models_for(plan):
        return RowError(
            row.row_index,
            "model",
            f"model {model} is not available on the {plan.name.lower()} plan",
        )
    return price


class StartBatch:
    """Reserve and queue a batch.

    Every row is validated and priced first; any bad row fails the whole request with
    `InvalidRows` listing each bad row, and nothing is written. Then one unit of work creates
    the batch, its items, one hold for the total and one `process_batch_item` job per item
    (all or nothing: L10).
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

    def _validate(self, command: StartBatchCommand, plan: PlanTier) -> list[int]:
        if not command.rows:
            raise ValidationFailed("the batch has no rows")
        if len(command.rows) > self._limits.max_rows:
            raise ValidationFailed(
                f"{len(command.rows)} rows; a batch takes at most {self._limits.max_rows}"
            )
        errors: list[RowError] = []
        prices: list[int] = []
        seen: dict[str, int] = {}
        for row in command.rows:
            priced = _row_price(row, command, self._prices, plan)
            if isinstance(priced, RowError):
                errors.append(priced)
                continue
            prices.append(priced)
            url = row.url.strip()
            if url in seen:
                errors.append(RowError(row.row_index, "url", f"duplicate of line {seen[url]}"))
            seen.setdefault(url, row.row_index)
        if errors:
            raise InvalidRows(tuple(errors))
        return prices

    async def execute(self, command: StartBatchCommand) -> StartBatchResult:
        key = check_key(command.idempotency_key) if command.idempotency_key else None
        request_fp = fingerprint(
            "start_batch", attrs.asdict(command, filter=lambda a, _: a.name != "idempotency_key")
        )
        async with self._uow() as uow:
            user = await uow.users.get(command.user_id)
        prices = self._validate(command, user.plan)
        now = self._clock.now()
        batch_id = BatchId(self._ids.new_id())
        scope = f"start_batch:{command.user_id}"
        async with self._uow() as uow:
            if key is not None and (found := await uow.idempotency.get(scope, key)):
                batch = await uow.batches.get(command.user_id, BatchId(found.replay(request_fp)))
                return StartBatchResult(
                    batch.id,
                    batch.status,
                    len(batch.items),
                    batch.total_credits_reserved,
                    replayed=True,
                )
            total = sum(prices)
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
                    row_index=row.row_index,
                    url=row.url.strip(),
                    price=price,
                    options=dict(row.options),
                )
                for row, price in zip(command.rows, prices, strict=True)
            ]
            batch = Batch(
                id=batch_id,
                user_id=command.user_id,
                hold_id=receipt.hold_id,
                items=items,
                created_at=now,
                updated_at=now,
                metadata=_defaults(command),
            )
            await uow.batches.add(batch)
            for item in items:
                await uow.jobs.defer(
                    Job(
                        JobName.PROCESS_BATCH_ITEM,
                        {"batch_id": batch_id, "item_id": item.id},
                        run_at=now,
                    )
                )
            if key is not None:
                await uow.idempotency.add(IdempotencyRecord(scope, key, request_fp, batch_id, now))
            uow.events.record(CreditsHeld(now, command.user_id, receipt.hold_id, total))
            uow.events.record(BatchStarted(now, batch_id, command.user_id, len(items), total))
            await uow.commit()
        return StartBatchResult(batch_id, BatchStatus.RUNNING, len(items), total)


def _defaults(command: StartBatchCommand) -> dict[str, str]:
    return {
        "model": command.model,
        "duration_s": str(command.duration_s),
        "aspect_ratio": command.aspect_ratio,
    }


__all__ = ["StartBatch", "StartBatchCommand", "StartBatchResult"]
