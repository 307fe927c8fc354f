"""QuoteBatch: what a batch would cost, row by row, without holding anything."""

from __future__ import annotations

import attrs

from afp_core.domain.batch import BatchRow
from afp_core.domain.batch_pricing import BatchDefaults, price_rows
from afp_core.domain.ids import UserId
from afp_core.domain.policy import BatchLimits
from afp_core.domain.pricing import PriceTable
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class QuoteBatchQuery:
    user_id: UserId
    rows: tuple[BatchRow, ...]
    model: str = "veo3_fast"
    duration_s: int = 8
    aspect_ratio: str = "9:16"
    budget: int | None = None


@attrs.frozen
class QuotedRow:
    line: int
    url: str
    price: int  # the whole row: its variants included
    variants: int = 1


@attrs.frozen
class QuoteBatchResult:
    rows: tuple[QuotedRow, ...]
    total: int
    available: int
    budget: int | None

    @property
    def total_items(self) -> int:
        """The videos it would make (a row makes one per variant)."""
        return sum(r.variants for r in self.rows)

    @property
    def affordable(self) -> bool:
        return self.total <= self.available

    @property
    def within_budget(self) -> bool:
        return self.budget is None or self.total <= self.budget


class QuoteBatch:
    """The same validation and prices as `StartBatch` (bad rows are `InvalidRows`), plus the
    user's available credits; read-only, so nothing is held or written."""

    def __init__(
        self, uow: UnitOfWorkFactory, prices: PriceTable, limits: BatchLimits | None = None
    ) -> None:
        self._uow = uow
        self._prices = prices
        self._limits = limits or BatchLimits()

    async def execute(self, query: QuoteBatchQuery) -> QuoteBatchResult:
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(query.user_id)
            balance = await uow.ledger.balance(query.user_id)
        defaults = BatchDefaults(query.model, query.duration_s, query.aspect_ratio)
        priced = price_rows(
            query.rows, defaults, self._prices, user.plan, max_rows=self._limits.max_rows
        )
        rows = tuple(
            QuotedRow(p.row.row_index, p.row.url.strip(), p.price, p.variants) for p in priced
        )
        return QuoteBatchResult(rows, sum(r.price for r in rows), balance.available, query.budget)


__all__ = ["QuoteBatch", "QuoteBatchQuery", "QuoteBatchResult", "QuotedRow"]
