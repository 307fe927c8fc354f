"""The ledger state machine on SQLite, every step compared with the in-memory reference."""

from __future__ import annotations

import pytest

from tests.sql_machines import SQL_EXAMPLES, sql_ledger_machine

URL: list[str] = []


@pytest.fixture(autouse=True)
def _database(sqlite_url: str) -> None:
    URL[:] = [sqlite_url]


TestSqliteLedger = sql_ledger_machine(URL).TestCase
TestSqliteLedger.settings = SQL_EXAMPLES
