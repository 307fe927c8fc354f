"""GetAccountSummary: who the user is, their credits, holds, recent journal and videos."""

from __future__ import annotations

import attrs

from afp_core.domain.ids import UserId
from afp_core.domain.ledger import AccountBalance, Hold, LedgerEntry
from afp_core.domain.users import User
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class GetAccountSummaryQuery:
    user_id: UserId
    recent: int = 10


@attrs.frozen
class AccountSummary:
    user: User
    credits: AccountBalance
    open_holds: tuple[Hold, ...]
    recent_entries: tuple[LedgerEntry, ...]
    videos_by_status: dict[str, int]


class GetAccountSummary:
    """Read-only, scoped to the user."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: GetAccountSummaryQuery) -> AccountSummary:
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(query.user_id)
            balance = await uow.ledger.balance(user.id)
            holds = await uow.ledger.open_holds(user.id)
            entries = await uow.ledger.entries(user.id, limit=query.recent)
            counts = {
                status.value: n for status, n in (await uow.videos.count_by_status(user.id)).items()
            }
        return AccountSummary(user, balance, tuple(holds), tuple(entries), counts)
