"""ListTransactions: one page of the user's credit journal, newest first, with the total."""

from __future__ import annotations

import attrs

from afp_core.domain.ids import UserId
from afp_core.domain.ledger import LedgerEntry
from afp_core.ports.unit_of_work import UnitOfWorkFactory

MAX_PAGE = 100


@attrs.frozen
class ListTransactionsQuery:
    user_id: UserId
    limit: int = attrs.field(default=50, validator=attrs.validators.in_(range(1, MAX_PAGE + 1)))
    offset: int = attrs.field(default=0, validator=attrs.validators.ge(0))


@attrs.frozen
class TransactionPage:
    items: tuple[LedgerEntry, ...]
    total: int  # every entry of the user, not only this page


class ListTransactions:
    """Read-only, scoped to the user; an unknown user is `NotFound`. Page and total are read
    in one unit of work, so they agree."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: ListTransactionsQuery) -> TransactionPage:
        async with self._uow(read_only=True) as uow:
            total = await uow.ledger.count_entries(query.user_id)
            items = await uow.ledger.entries_page(
                query.user_id, limit=query.limit, offset=query.offset
            )
        return TransactionPage(tuple(items), total)


__all__ = ["ListTransactions", "ListTransactionsQuery", "TransactionPage"]
