"""The ledger state machine on PostgreSQL, every step compared with the in-memory reference."""

from __future__ import annotations

import pytest

from tests.sql_machines import SQL_EXAMPLES, sql_ledger_machine

pytestmark = pytest.mark.integration
URL: list[str] = []


@pytest.fixture(autouse=True)
def _database(postgres_url: str) -> None:
    URL[:] = [postgres_url]


TestPostgresLedger = sql_ledger_machine(URL).TestCase
TestPostgresLedger.settings = SQL_EXAMPLES
