"""The ledger state machine against the in-memory reference ledger."""

from __future__ import annotations

from collections.abc import Callable

from afp_adapters.fakes.system import SequentialIds
from afp_adapters.fakes.unit_of_work import InMemoryDatabase
from afp_core.ports.unit_of_work import UnitOfWork
from tests.property.ledger_machine import LedgerMachine


class InMemoryLedgerMachine(LedgerMachine):
    async def open_world(self) -> Callable[[], UnitOfWork]:
        return InMemoryDatabase(SequentialIds()).unit_of_work


TestInMemoryLedger = InMemoryLedgerMachine.TestCase
