"""Ledger throughput: hold + capture cycles through a unit of work, against the bare domain
aggregate as the reference measured in the same run."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from afp_adapters.fakes import InMemoryDatabase, SequentialIds
from afp_core.domain.ids import EntryId, HoldId, UserId
from afp_core.domain.ledger import CreditAccount, EntryType

CYCLES = 5_000
NOW = datetime(2026, 1, 1, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def reference_cycles_per_s() -> float:
    account = CreditAccount(UserId("u"))
    account.credit((EntryId("a"), EntryId("b")), CYCLES * 2, EntryType.GRANT, NOW)
    start = time.perf_counter()
    for n in range(CYCLES):
        hold = account.hold(HoldId(f"h{n}"), 2, NOW, expires_at=LATER)
        account.capture(hold, 2, EntryId(f"e{n}"), NOW)
    return CYCLES / (time.perf_counter() - start)


async def ledger_cycles_per_s() -> float:
    db = InMemoryDatabase(SequentialIds())
    user = UserId("u")
    async with db.unit_of_work() as uow:
        await uow.ledger.credit(user, CYCLES * 2, EntryType.GRANT, key="seed", now=NOW)
        await uow.commit()
    start = time.perf_counter()
    for n in range(CYCLES):
        async with db.unit_of_work() as uow:
            receipt = await uow.ledger.hold(user, 2, key=f"h{n}", now=NOW, expires_at=LATER)
            assert receipt.hold_id is not None
            await uow.ledger.capture(user, receipt.hold_id, 2, key=f"c{n}", now=NOW)
            await uow.commit()
    return CYCLES / (time.perf_counter() - start)


async def run() -> None:
    reference = reference_cycles_per_s()
    measured = await ledger_cycles_per_s()
    print(f"ledger  domain aggregate (reference): {reference:10.0f} hold+capture/s")
    print(
        f"ledger  in-memory unit of work      : {measured:10.0f} hold+capture/s "
        f"({measured / reference:.2f}x reference, {CYCLES} cycles)"
    )
