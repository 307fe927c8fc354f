"""PostgreSQL's hold fast path: the account row is locked by the unit of work's last statement,
sent with COMMIT (`PgTransaction`). A hold that loses the race for the last credits after its
non-locking check surfaces at the commit, or at the unit of work's next ledger call, with the
domain's error and nothing written; its receipt carries the figures of the committed hold."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from afp_adapters.fakes import SequentialIds
from afp_adapters.sql import SqlDatabase
from afp_adapters.sql import tables as t
from afp_core.domain.errors import AccountInDebt, InsufficientCredits
from afp_core.domain.ids import UserId, VideoId
from afp_core.domain.jobs import Job
from afp_core.domain.ledger import EntryType, LedgerReceipt
from afp_core.domain.users import User
from afp_core.domain.video import Video, VideoSpec

pytestmark = pytest.mark.integration

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
USER = UserId("u-commit")


@pytest.fixture
async def db(postgres_url: str) -> AsyncIterator[SqlDatabase]:
    database = SqlDatabase.from_url(postgres_url, SequentialIds("f"), pool_size=4)
    async with database.unit_of_work() as uow:
        await uow.users.add(User(id=USER, email="commit@ledger.test", created_at=NOW))
        await uow.ledger.credit(USER, 100, EntryType.GRANT, key="seed", now=NOW)
        await uow.commit()
    yield database
    await database.dispose()


async def counts(db: SqlDatabase) -> dict[str, int]:
    async with db.engine.connect() as conn:
        return {
            table.name: (
                await conn.execute(sa.select(sa.func.count()).select_from(table))
            ).scalar_one()
            for table in (t.credit_holds, t.idempotency_keys, t.transactions, t.videos, t.jobs)
        }


async def hold(db: SqlDatabase, amount: int, key: str) -> LedgerReceipt:
    async with db.unit_of_work() as uow:
        receipt = await uow.ledger.hold(USER, amount, key=key, now=NOW, expires_at=LATER)
        await uow.commit()
    return receipt


def video(video_id: str, receipt: LedgerReceipt) -> Video:
    assert receipt.hold_id is not None
    return Video(
        id=VideoId(video_id),
        user_id=USER,
        spec=VideoSpec("afp-local", "p", 8, "9:16"),
        price=receipt.amount,
        hold_id=receipt.hold_id,
        created_at=NOW,
        updated_at=NOW,
        deadline=LATER,
    )


async def test_a_hold_that_loses_the_race_fails_at_commit_and_writes_nothing(
    db: SqlDatabase,
) -> None:
    before = await counts(db)
    async with db.unit_of_work() as uow:
        # the check finds 100 available, so the hold is accepted and the work goes on ...
        receipt = await uow.ledger.hold(USER, 80, key="late", now=NOW, expires_at=LATER)
        await uow.videos.add(video("v-late", receipt))
        await uow.jobs.defer(Job("submit_video", {"video_id": "v-late"}, run_at=NOW))
        # ... while another unit of work takes most of the credits and commits first
        winner = await hold(db, 50, "winner")
        with pytest.raises(InsufficientCredits, match="needs 80 credits, 50 available"):
            await uow.commit()
    after = await counts(db)
    assert after == {
        **before,
        "credit_holds": before["credit_holds"] + 1,  # the winner's
        "idempotency_keys": before["idempotency_keys"] + 1,
    }
    async with db.unit_of_work() as uow:
        assert (await uow.ledger.balance(USER)).reserved == 50
        assert [h.id for h in await uow.ledger.open_holds(USER)] == [winner.hold_id]
    retried = await hold(db, 50, "late")  # the key was never used
    assert (retried.balance, retried.reserved) == (100, 100)


async def test_a_refusal_at_commit_reports_debt_first_as_the_domain_does(
    db: SqlDatabase,
) -> None:
    async with db.unit_of_work() as uow:
        await uow.ledger.hold(USER, 10, key="h", now=NOW, expires_at=LATER)
        async with db.unit_of_work() as other:  # a refund beyond what is available
            await other.ledger.claw_back(USER, 150, key="refund", now=NOW)
            await other.commit()
        with pytest.raises(AccountInDebt):
            await uow.commit()
    async with db.unit_of_work() as uow:
        balance = await uow.ledger.balance(USER)
        assert (balance.balance, balance.reserved, balance.debt) == (0, 0, 50)
        assert await uow.ledger.open_holds(USER) == []


async def test_a_lost_race_surfaces_at_the_next_ledger_call_and_again_at_commit(
    db: SqlDatabase,
) -> None:
    before = await counts(db)
    async with db.unit_of_work() as uow:
        await uow.ledger.hold(USER, 80, key="first", now=NOW, expires_at=LATER)
        await hold(db, 50, "winner")
        with pytest.raises(InsufficientCredits):
            await uow.ledger.balance(USER)  # runs the hold's locking statement first
        with pytest.raises(InsufficientCredits):  # the transaction is lost: no commit
            await uow.commit()
    assert (await counts(db))["credit_holds"] == before["credit_holds"] + 1


async def test_later_ledger_calls_in_the_unit_of_work_see_the_hold(db: SqlDatabase) -> None:
    async with db.unit_of_work() as uow:
        first = await uow.ledger.hold(USER, 30, key="a", now=NOW, expires_at=LATER)
        assert (await uow.ledger.balance(USER)).reserved == 30
        assert first.hold_id is not None
        captured = await uow.ledger.capture(USER, first.hold_id, 10, key="c", now=NOW)
        second = await uow.ledger.hold(USER, 60, key="b", now=NOW, expires_at=LATER)
        with pytest.raises(InsufficientCredits):  # refused at once: the check sees the rest
            await uow.ledger.hold(USER, 11, key="x", now=NOW, expires_at=LATER)
        await uow.commit()
    assert (captured.balance, captured.reserved) == (90, 20)
    assert (second.balance, second.reserved) == (90, 80)
    async with db.unit_of_work() as uow:
        balance = await uow.ledger.balance(USER)
    assert (balance.balance, balance.reserved) == (90, 80)


async def test_the_receipt_carries_the_figures_of_the_committed_hold(db: SqlDatabase) -> None:
    async with db.unit_of_work() as uow:
        receipt = await uow.ledger.hold(USER, 10, key="mine", now=NOW, expires_at=LATER)
        # before the commit: the figures the check saw, plus this hold
        assert (receipt.balance, receipt.reserved) == (100, 10)
        await hold(db, 5, "theirs")  # commits in between
        await uow.commit()
    # after it: the account right after this hold, as stored with the key
    assert (receipt.balance, receipt.reserved, receipt.available) == (100, 15, 85)
    replayed = await hold(db, 10, "mine")
    assert replayed == receipt
    assert hash(replayed) == hash(receipt)


async def test_a_hold_rolled_back_leaves_nothing_and_the_connection_transactional(
    db: SqlDatabase, postgres_url: str
) -> None:
    before = await counts(db)
    one = SqlDatabase.from_url(postgres_url, SequentialIds("g"), pool_size=1)  # one connection
    try:
        async with one.unit_of_work() as uow:  # the hold is the transaction's first statement
            await uow.ledger.hold(USER, 10, key="dropped", now=NOW, expires_at=LATER)
        assert await counts(db) == before
        await hold(one, 10, "kept")
        async with one.engine.connect() as conn:  # back in the pool out of autocommit
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None and raw.autocommit is False

        async def fail_half_way() -> None:
            async with one.unit_of_work() as uow:
                await uow.ledger.hold(USER, 10, key="again", now=NOW, expires_at=LATER)
                await uow.users.add(User(id=UserId("u-2"), email="two@x.test", created_at=NOW))
                await uow.ledger.balance(USER)
                raise RuntimeError("half way")

        with pytest.raises(RuntimeError, match="half way"):  # so a failure still undoes it all
            await fail_half_way()
        async with one.unit_of_work() as uow:
            assert (await uow.ledger.balance(USER)).reserved == 10
            assert await uow.users.by_email("two@x.test") is None
    finally:
        await one.dispose()


async def test_a_connection_left_in_autocommit_is_never_handed_out(postgres_url: str) -> None:
    one = SqlDatabase.from_url(postgres_url, SequentialIds("h"), pool_size=1)
    try:
        async with one.engine.connect() as conn:
            leaked = (await conn.get_raw_connection()).driver_connection
            assert leaked is not None
            await leaked.set_autocommit(True)  # as if a transaction ended unseen
        async with one.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None and raw is not leaked and raw.autocommit is False
        assert leaked.closed
    finally:
        await one.dispose()


async def test_a_hold_rolled_back_to_a_savepoint_reserves_nothing_even_if_its_key_is_used_since(
    db: SqlDatabase,
) -> None:
    """The locking statement needs this transaction's own hold row, not just a row for its
    key: another unit of work may claim the same key after the savepoint's rollback."""
    async with db.unit_of_work() as uow:
        conn = uow._conn  # a savepoint around the hold, as a caller could open one
        assert conn is not None
        savepoint = await conn.begin_nested()
        await uow.ledger.hold(USER, 30, key="k", now=NOW, expires_at=LATER)
        await savepoint.rollback()
        theirs = await hold(db, 30, "k")  # the same key, used and committed meanwhile
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert (await uow.ledger.balance(USER)).reserved == 30
        assert [h.id for h in await uow.ledger.open_holds(USER)] == [theirs.hold_id]
