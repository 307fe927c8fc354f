"""The ledger bench's "ceiling" (bench/ledger.py): pgbench sending the hold's own statements.
It must place real holds exactly as the adapter does (same rows, same receipt, a consistent
account), or the ceiling it prints would measure something else."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from bench import ledger as bench

from afp_adapters.fakes import SequentialIds
from afp_adapters.sql import SqlDatabase
from afp_adapters.sql import ledger as ledger_sql
from afp_adapters.sql import tables as t
from afp_core.domain.ledger import EntryType
from afp_core.domain.users import User

pytestmark = pytest.mark.integration

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOLDS = 7


def test_the_script_binds_every_parameter_of_both_statements() -> None:
    script = bench.hold_sql_script()
    assert "%(" not in script
    assert script.count("\\startpipeline") == 2
    assert ledger_sql._PG_RESERVE_AND_RECORD.split("(", 1)[0] in script


async def test_pgbench_places_holds_as_the_adapter_does(postgres_url: str, tmp_path: Path) -> None:
    if shutil.which("pgbench") is None:
        pytest.skip("pgbench is not on PATH")
    db = SqlDatabase.from_url(postgres_url, SequentialIds("b"), pool_size=2)
    try:
        async with db.unit_of_work() as uow:
            await uow.users.add(User(id=bench.HOT_ACCOUNT, email="hot@bench.test", created_at=NOW))
            await uow.ledger.credit(bench.HOT_ACCOUNT, 100, EntryType.GRANT, key="seed", now=NOW)
            await uow.commit()
        async with db.unit_of_work() as uow:  # one hold through the adapter, to compare
            await uow.ledger.hold(
                bench.HOT_ACCOUNT, 1, key="afp", now=NOW, expires_at=NOW + timedelta(hours=1)
            )
            await uow.commit()
        script = tmp_path / "hold.sql"
        script.write_text(bench.hold_sql_script())
        process = await asyncio.create_subprocess_exec(
            *["pgbench", "-n", "-c", "1", "-t", str(HOLDS), "-M", "prepared", "-f", str(script)],
            *bench._pgbench_args(postgres_url),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()
        assert process.returncode == 0, err.decode()

        async with db.engine.connect() as conn:
            account = (
                await conn.execute(
                    sa.select(t.users.c.credits_balance, t.users.c.credits_reserved).where(
                        t.users.c.id == bench.HOT_ACCOUNT
                    )
                )
            ).one()
            holds = (await conn.execute(sa.select(t.credit_holds))).mappings().all()
            keys = (await conn.execute(sa.select(t.idempotency_keys))).mappings().all()
        assert tuple(account) == (100, 1 + HOLDS)
        assert len(holds) == 1 + HOLDS
        assert {(h["user_id"], h["amount"], h["status"], h["captured"]) for h in holds} == {
            (bench.HOT_ACCOUNT, 1, "OPEN", 0)
        }
        receipts = {k["key"]: k["result"] for k in keys if k["key"] != "seed"}
        assert len(receipts) == 1 + HOLDS
        # every receipt has the adapter's shape and the figures right after its own hold
        shape = set(receipts.pop("afp"))
        assert all(set(receipt) == shape for receipt in receipts.values())
        assert sorted(r["reserved"] for r in receipts.values()) == list(range(2, 2 + HOLDS))
        assert {k["scope"] for k in keys} == {f"ledger:{bench.HOT_ACCOUNT}"}
    finally:
        await db.dispose()
