"""`reconcile`: check the ledger invariants on a live database, in SQL, read-only.

Finds accounts whose cached balance differs from the sum of their journal (L2), whose cached
reserved differs from the sum of their open holds' remainders (L2), whose balance, reserved or
available is negative (L1), holds whose parts do not add up or that ended with something open
(L4), and captures that exceed their hold (L6). An empty result means the ledger is consistent.
"""

from __future__ import annotations

import attrs
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from afp_adapters.sql import tables as t

U, H, T = t.users, t.credit_holds, t.transactions


@attrs.frozen
class Discrepancy:
    invariant: str
    subject: str
    detail: str


async def reconcile(engine: AsyncEngine, *, limit: int = 100) -> list[Discrepancy]:
    journal = (
        sa.select(T.c.user_id, sa.func.sum(T.c.amount).label("total"))
        .group_by(T.c.user_id)
        .subquery()
    )
    open_holds = (
        sa.select(H.c.user_id, sa.func.sum(H.c.amount - H.c.captured - H.c.released).label("open"))
        .where(H.c.status == "OPEN")
        .group_by(H.c.user_id)
        .subquery()
    )
    usage = (
        sa.select(T.c.hold_id, sa.func.sum(-T.c.amount).label("used"))
        .where(T.c.type == "USAGE")
        .group_by(T.c.hold_id)
        .subquery()
    )
    journal_total = sa.func.coalesce(journal.c.total, 0)
    open_total = sa.func.coalesce(open_holds.c.open, 0)
    found: list[Discrepancy] = []
    async with engine.connect() as conn:
        accounts = await conn.execute(
            sa.select(U.c.id, U.c.credits_balance, U.c.credits_reserved, journal_total, open_total)
            .select_from(
                U.outerjoin(journal, journal.c.user_id == U.c.id).outerjoin(
                    open_holds, open_holds.c.user_id == U.c.id
                )
            )
            .where(
                (U.c.credits_balance != journal_total)
                | (U.c.credits_reserved != open_total)
                | (U.c.credits_balance < 0)
                | (U.c.credits_reserved < 0)
                | (U.c.credits_balance < U.c.credits_reserved)
            )
            .limit(limit)
        )
        for user_id, balance, reserved, total, open_ in accounts:
            if balance != total:
                found.append(Discrepancy("L2", user_id, f"balance {balance} != journal {total}"))
            if reserved != open_:
                found.append(Discrepancy("L2", user_id, f"reserved {reserved} != open {open_}"))
            if balance < 0 or reserved < 0 or balance < reserved:
                found.append(Discrepancy("L1", user_id, f"balance {balance}, reserved {reserved}"))
        holds = await conn.execute(
            sa.select(
                H.c.id,
                H.c.amount,
                H.c.captured,
                H.c.released,
                H.c.status,
                sa.func.coalesce(usage.c.used, 0),
            )
            .select_from(H.outerjoin(usage, usage.c.hold_id == H.c.id))
            .where(
                (H.c.captured + H.c.released > H.c.amount)
                | ((H.c.status != "OPEN") & (H.c.captured + H.c.released != H.c.amount))
                | (sa.func.coalesce(usage.c.used, 0) != H.c.captured)
            )
            .limit(limit)
        )
        for hold_id, amount, captured, released, status, used in holds:
            found.append(
                Discrepancy(
                    "L4/L6",
                    hold_id,
                    f"amount {amount}, captured {captured} (journal {used}), released {released}, "
                    f"{status}",
                )
            )
    return found


__all__ = ["Discrepancy", "reconcile"]
