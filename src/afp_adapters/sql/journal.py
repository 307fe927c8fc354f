"""Reading the credit journal a page at a time: the SQL side of `CreditLedger.entries_page`
and `count_entries`, as functions `SqlCreditLedger` delegates to.

The order is the ledger's (`entries`): newest first by `(created_at, id)`, which the
`(user_id, created_at)` index serves. An unknown user is `NotFound`, as for every ledger read.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from afp_adapters.sql import _mapping as m
from afp_adapters.sql import tables as t
from afp_core.domain.errors import NotFound
from afp_core.domain.ids import UserId
from afp_core.domain.ledger import LedgerEntry

T = t.transactions


async def _known(conn: AsyncConnection, user_id: UserId) -> None:
    found = (await conn.execute(sa.select(t.users.c.id).where(t.users.c.id == user_id))).first()
    if found is None:
        raise NotFound(f"user {user_id} not found")


async def entries_page(
    conn: AsyncConnection, user_id: UserId, *, limit: int, offset: int
) -> Sequence[LedgerEntry]:
    rows = await conn.execute(
        sa.select(T)
        .where(T.c.user_id == user_id)
        .order_by(T.c.created_at.desc(), T.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    found = [m.entry_from(r._mapping) for r in rows]
    if not found:
        await _known(conn, user_id)
    return found


async def count_entries(conn: AsyncConnection, user_id: UserId) -> int:
    total = (
        await conn.execute(sa.select(sa.func.count()).select_from(T).where(T.c.user_id == user_id))
    ).scalar_one()
    if not total:
        await _known(conn, user_id)
    return int(total)


__all__ = ["count_entries", "entries_page"]
