"""The ledger state machine on a SQL database, mirrored on the in-memory reference (L14)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from hypothesis import settings

from afp_adapters.fakes import SequentialIds
from afp_adapters.sql import SqlDatabase, reconcile
from afp_adapters.sql import tables as t
from afp_core.ports.unit_of_work import UnitOfWork
from tests.property.ledger_machine import LedgerMachine

# SQL examples cost milliseconds per step; 100 per dialect, each compared step by step with the
# reference, find what the 1,000 in-memory examples do
SQL_EXAMPLES = settings(max_examples=min(settings.default.max_examples, 100))


def sql_ledger_machine(url_holder: list[str]) -> type[LedgerMachine]:
    class SqlLedgerMachine(LedgerMachine):
        compare_with_reference = True

        async def open_world(self) -> Callable[[], UnitOfWork]:
            self.db = SqlDatabase.from_url(url_holder[0], SequentialIds("e"))
            async with self.db.engine.begin() as conn:  # every example starts empty
                for table in (
                    t.jobs,
                    t.batch_video_items,
                    t.video_batches,
                    t.idempotency_keys,
                    t.transactions,
                    t.credit_holds,
                    t.users,
                ):
                    await conn.execute(sa.delete(table))
            return self.db.unit_of_work

        async def close_world(self) -> None:
            try:
                assert await reconcile(self.db.engine) == []  # the live-database check agrees
            finally:
                await self.db.dispose()

    return SqlLedgerMachine
