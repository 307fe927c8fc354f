"""Contract for the unit of work itself, the job outbox and queue, and the ledger's reads.

Every test uses only the ports (`store.uow()`, `store.queue`), so it runs unchanged against
the in-memory reference and the SQL adapters. The queue is never called inside an open unit
of work: the in-memory store runs one at a time and would wait for itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from afp_core.domain.errors import NotFound
from afp_core.domain.idempotency import IdempotencyRecord
from afp_core.domain.ids import HoldId, UserId, VideoId
from afp_core.domain.jobs import Job, JobName
from afp_core.domain.ledger import AccountBalance, EntryType, HoldStatus
from afp_core.domain.users import User
from afp_core.domain.video import Video, VideoSpec
from afp_core.ports.unit_of_work import UnitOfWork
from tests.contract.conftest import Store, delivery

pytestmark = pytest.mark.contract

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FAR = datetime(2027, 1, 1, tzinfo=UTC)
ALICE = UserId("u-alice")
BOB = UserId("u-bob")
GHOST = UserId("u-ghost")


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


async def committed(store: Store, action: Callable[[UnitOfWork], Awaitable[object]]) -> None:
    async with store.uow() as uow:
        await action(uow)
        await uow.commit()


def a_user(user_id: str) -> User:
    return User(id=UserId(user_id), email=f"{user_id}@example.com", created_at=NOW)


async def add_users(store: Store, *user_ids: UserId) -> None:
    async with store.uow() as uow:
        for user_id in user_ids:
            await uow.users.add(a_user(user_id))
        await uow.commit()


def a_job(
    name: str = JobName.POLL_VIDEO, *, run_at: datetime = NOW, dedupe_key: str | None = None
) -> Job:
    payload = {"video_id": "v-1", "attempt": 2, "note": None}
    return Job(name=name, payload=payload, run_at=run_at, dedupe_key=dedupe_key)


class Boom(Exception):
    """Raised inside a unit of work to make it roll back."""


# ---------------------------------------------------------------------------------- unit of work

NEWCOMER = UserId("u-newcomer")
SCOPE = "start_video:u-alice"


async def write_one_of_everything(uow: UnitOfWork) -> None:
    await uow.users.add(a_user(NEWCOMER))
    await uow.videos.add(
        Video(
            id=VideoId("v-ghost"),
            user_id=NEWCOMER,
            spec=VideoSpec(model="afp-local", prompt="p", duration_s=8, aspect_ratio="9:16"),
            price=10,
            hold_id=HoldId("h-ghost"),
            created_at=NOW,
            updated_at=NOW,
            deadline=at(60),
        )
    )
    await uow.ledger.credit(ALICE, 50, EntryType.GRANT, key="grant-1", now=NOW)
    await uow.ledger.credit(NEWCOMER, 5, EntryType.BONUS, key="welcome", now=NOW)
    await uow.jobs.defer(a_job(JobName.SUBMIT_VIDEO))
    await uow.idempotency.add(IdempotencyRecord(SCOPE, "k-1", "f" * 64, "v-ghost", NOW))
    assert await uow.webhooks.record(delivery("lemonsqueezy", "evt-1", NOW)) is True


async def assert_no_trace_of_everything(store: Store) -> None:
    async with store.uow() as uow:
        with pytest.raises(NotFound):
            await uow.users.get(NEWCOMER)
        assert await uow.users.by_email(f"{NEWCOMER}@example.com") is None
        with pytest.raises(NotFound):
            await uow.videos.get_any(VideoId("v-ghost"))
        assert await uow.ledger.balance(ALICE) == AccountBalance(ALICE, 0, 0, 0)
        assert list(await uow.ledger.all_entries(ALICE)) == []
        assert await uow.idempotency.get(SCOPE, "k-1") is None
        assert await uow.webhooks.record(delivery("lemonsqueezy", "evt-1", at(1))) is True
    assert await store.queue.next_run_at() is None
    assert list(await store.queue.due(FAR)) == []


async def test_leaving_a_unit_of_work_without_commit_leaves_no_trace_of_any_write(
    store: Store,
) -> None:
    await add_users(store, ALICE)
    async with store.uow() as uow:
        await write_one_of_everything(uow)
    await assert_no_trace_of_everything(store)


async def test_an_error_inside_a_unit_of_work_propagates_and_leaves_no_trace_of_any_write(
    store: Store,
) -> None:
    await add_users(store, ALICE)

    async def fail_after_writing(uow: UnitOfWork) -> None:
        await write_one_of_everything(uow)
        raise Boom

    with pytest.raises(Boom):
        await committed(store, fail_after_writing)
    await assert_no_trace_of_everything(store)


async def test_a_committed_unit_of_work_keeps_every_write(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, write_one_of_everything)
    async with store.uow() as uow:
        assert (await uow.users.get(NEWCOMER)).email == f"{NEWCOMER}@example.com"
        assert (await uow.videos.get(NEWCOMER, VideoId("v-ghost"))).price == 10
        assert (await uow.ledger.balance(ALICE)).balance == 50
        assert (await uow.ledger.balance(NEWCOMER)).balance == 5
        stored = await uow.idempotency.get(SCOPE, "k-1")
        assert stored is not None and stored.result_ref == "v-ghost"
        assert await uow.webhooks.record(delivery("lemonsqueezy", "evt-1", at(1))) is False
    assert [job.name for _, job in await store.queue.due(FAR)] == [JobName.SUBMIT_VIDEO]


async def test_writes_after_a_commit_are_dropped_unless_committed_again(store: Store) -> None:
    await add_users(store, ALICE)
    async with store.uow() as uow:
        await uow.users.add(a_user(BOB))
        await uow.ledger.credit(ALICE, 30, EntryType.GRANT, key="g-1", now=NOW)
        await uow.commit()
        await uow.users.add(a_user("u-carol"))
        await uow.ledger.credit(ALICE, 20, EntryType.GRANT, key="g-2", now=at(1))
        await uow.jobs.defer(a_job())
        assert (await uow.ledger.balance(ALICE)).balance == 50
    async with store.uow() as uow:
        assert (await uow.users.get(BOB)).id == BOB
        with pytest.raises(NotFound):
            await uow.users.get(UserId("u-carol"))
        assert await uow.ledger.balance(ALICE) == AccountBalance(ALICE, 30, 0, 0)
        assert [e.amount for e in await uow.ledger.all_entries(ALICE)] == [30]
    assert await store.queue.next_run_at() is None


async def test_a_unit_of_work_cannot_be_entered_twice(store: Store) -> None:
    used = store.uow()
    async with used:
        pass
    with pytest.raises(RuntimeError):
        await used.__aenter__()

    committed_once = store.uow()
    async with committed_once as uow:
        await uow.users.add(a_user(ALICE))
        await uow.commit()
    with pytest.raises(RuntimeError):
        await committed_once.__aenter__()
    async with store.uow() as uow:
        assert (await uow.users.get(ALICE)).id == ALICE


# ---------------------------------------------------------------------------------- jobs


async def test_a_deferred_job_becomes_due_at_its_run_at_and_is_claimed_once(store: Store) -> None:
    job = a_job(run_at=at(10))
    await committed(store, lambda uow: uow.jobs.defer(job))
    assert await store.queue.next_run_at() == at(10)
    assert list(await store.queue.due(at(9))) == []

    [(job_id, claimed)] = await store.queue.due(at(10))
    assert claimed == job
    assert claimed.attempts == 0
    assert list(await store.queue.due(FAR)) == []
    assert await store.queue.next_run_at() is None

    await store.queue.complete(job_id)
    assert list(await store.queue.due(FAR)) == []
    assert await store.queue.next_run_at() is None


async def test_a_retried_job_is_due_again_at_its_new_time_with_its_attempts_counted(
    store: Store,
) -> None:
    job = a_job(run_at=at(10), dedupe_key="poll:v-1")
    await committed(store, lambda uow: uow.jobs.defer(job))
    [(job_id, first)] = await store.queue.due(at(10))
    assert first.attempts == 0

    await store.queue.retry(job_id, run_at=at(20), error="provider busy")
    assert await store.queue.next_run_at() == at(20)
    assert list(await store.queue.due(at(19))) == []
    [(again_id, second)] = await store.queue.due(at(20))
    assert again_id == job_id
    assert (second.name, second.payload, second.dedupe_key) == (
        job.name,
        job.payload,
        job.dedupe_key,
    )
    assert second.attempts == 1

    await store.queue.retry(job_id, run_at=at(30), error="provider busy")
    [(_, third)] = await store.queue.due(at(30))
    assert third.attempts == 2

    await store.queue.fail(job_id, error="gave up")
    assert list(await store.queue.due(FAR)) == []
    assert await store.queue.next_run_at() is None


async def test_due_jobs_are_claimed_earliest_first_up_to_the_limit(store: Store) -> None:
    async with store.uow() as uow:
        for minutes in (30, 10, 20):
            await uow.jobs.defer(a_job(JobName.SETTLE_VIDEO, run_at=at(minutes)))
        await uow.jobs.defer(a_job(JobName.EXPIRE_HOLDS, run_at=at(90)))
        await uow.commit()
    assert await store.queue.next_run_at() == at(10)
    first = await store.queue.due(at(60), limit=2)
    assert [job.run_at for _, job in first] == [at(10), at(20)]
    assert await store.queue.next_run_at() == at(30)
    rest = await store.queue.due(at(60), limit=2)
    assert [job.run_at for _, job in rest] == [at(30)]
    assert len({job_id for job_id, _ in [*first, *rest]}) == 3
    assert await store.queue.next_run_at() == at(90)


async def test_a_job_deferred_in_a_unit_of_work_that_did_not_commit_never_appears(
    store: Store,
) -> None:
    async with store.uow() as uow:
        await uow.jobs.defer(a_job(run_at=at(1)))

    async def defer_then_fail(uow: UnitOfWork) -> None:
        await uow.jobs.defer(a_job(run_at=at(2)))
        raise Boom

    with pytest.raises(Boom):
        await committed(store, defer_then_fail)
    assert await store.queue.next_run_at() is None
    assert list(await store.queue.due(FAR)) == []


async def test_only_one_waiting_job_is_kept_per_dedupe_key(store: Store) -> None:
    await add_users(store, ALICE)
    first = a_job(run_at=at(1), dedupe_key="poll:v-1")
    async with store.uow() as uow:
        await uow.jobs.defer(first)
        await uow.jobs.defer(a_job(run_at=at(2), dedupe_key="poll:v-1"))
        await uow.commit()
    # a later unit of work deferring the same key still commits its other writes
    async with store.uow() as uow:
        await uow.jobs.defer(a_job(run_at=at(3), dedupe_key="poll:v-1"))
        await uow.jobs.defer(a_job(run_at=at(4), dedupe_key="poll:v-2"))
        await uow.jobs.defer(a_job(run_at=at(5)))
        await uow.jobs.defer(a_job(run_at=at(6)))
        await uow.users.add(a_user(BOB))
        await uow.commit()

    claimed = await store.queue.due(FAR, limit=10)
    assert [job for _, job in claimed] == [
        first,
        a_job(run_at=at(4), dedupe_key="poll:v-2"),
        a_job(run_at=at(5)),
        a_job(run_at=at(6)),
    ]
    async with store.uow() as uow:
        assert (await uow.users.get(BOB)).id == BOB


async def test_a_dedupe_key_is_free_again_once_its_job_is_running(store: Store) -> None:
    await committed(store, lambda uow: uow.jobs.defer(a_job(run_at=at(1), dedupe_key="poll:v-1")))
    [(running_id, _)] = await store.queue.due(at(1))
    follow_up = a_job(run_at=at(5), dedupe_key="poll:v-1")
    await committed(store, lambda uow: uow.jobs.defer(follow_up))
    assert await store.queue.next_run_at() == at(5)
    [(follow_up_id, claimed)] = await store.queue.due(at(5))
    assert follow_up_id != running_id and claimed == follow_up


# ---------------------------------------------------------------------------------- ledger reads


async def test_entries_are_listed_newest_first_a_page_at_a_time(store: Store) -> None:
    await add_users(store, ALICE, BOB)
    await committed(store, lambda u: u.ledger.credit(ALICE, 100, EntryType.GRANT, key="a", now=NOW))
    await committed(store, lambda u: u.ledger.credit(BOB, 7, EntryType.GRANT, key="b", now=at(1)))
    await committed(store, lambda u: u.ledger.credit(ALICE, 5, EntryType.BONUS, key="c", now=at(2)))
    async with store.uow() as uow:
        hold = await uow.ledger.hold(ALICE, 30, key="d", now=at(3), expires_at=at(60))
        assert hold.hold_id is not None
        await uow.ledger.capture(ALICE, hold.hold_id, 20, key="e", now=at(4))
        await uow.ledger.release(ALICE, hold.hold_id, None, key="f", now=at(4))
        await uow.commit()
    await committed(store, lambda u: u.ledger.adjust(ALICE, -3, key="g", now=at(5), reason="fix"))

    async with store.uow() as uow:
        newest = list(await uow.ledger.entries(ALICE, limit=2))
        older = list(await uow.ledger.entries(ALICE, limit=2, before=newest[-1].id))
        oldest = list(await uow.ledger.entries(ALICE, limit=2, before=older[-1].id))
        everything = list(await uow.ledger.entries(ALICE))
        oldest_first = list(await uow.ledger.all_entries(ALICE))
    assert [(e.type, e.amount, e.balance_after) for e in newest] == [
        (EntryType.ADJUSTMENT, -3, 82),
        (EntryType.USAGE, -20, 85),
    ]
    assert [(e.type, e.amount, e.balance_after) for e in older] == [
        (EntryType.BONUS, 5, 105),
        (EntryType.GRANT, 100, 100),
    ]
    assert oldest == []
    assert everything == [*newest, *older]
    assert oldest_first == everything[::-1]
    assert [e.created_at for e in oldest_first] == [NOW, at(2), at(4), at(5)]
    assert all(e.user_id == ALICE for e in everything)
    assert newest[1].hold_id == hold.hold_id
    assert newest[0].reason == "fix"


async def test_a_user_with_no_entries_has_a_zero_balance_and_nothing_listed(
    store: Store,
) -> None:
    await add_users(store, ALICE)
    async with store.uow() as uow:
        assert await uow.ledger.balance(ALICE) == AccountBalance(ALICE, 0, 0, 0)
        assert list(await uow.ledger.entries(ALICE)) == []
        assert list(await uow.ledger.all_entries(ALICE)) == []
        assert list(await uow.ledger.open_holds(ALICE)) == []


async def test_open_holds_are_listed_oldest_first_and_only_while_open(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda u: u.ledger.credit(ALICE, 100, EntryType.GRANT, key="g", now=NOW))
    hold_ids: list[HoldId] = []
    for n, amount in enumerate((10, 20, 30)):
        async with store.uow() as uow:
            receipt = await uow.ledger.hold(
                ALICE, amount, key=f"h{n}", now=at(n + 1), expires_at=at(60), reference=f"v-{n}"
            )
            await uow.commit()
        assert receipt.hold_id is not None
        hold_ids.append(receipt.hold_id)
    await committed(store, lambda u: u.ledger.capture(ALICE, hold_ids[1], 20, key="cap", now=at(5)))

    async with store.uow() as uow:
        holds = list(await uow.ledger.open_holds(ALICE))
        settled = await uow.ledger.get_hold(ALICE, hold_ids[1])
    assert [h.id for h in holds] == [hold_ids[0], hold_ids[2]]
    assert [(h.amount, h.reference, h.created_at) for h in holds] == [
        (10, "v-0", at(1)),
        (30, "v-2", at(3)),
    ]
    assert all(h.status is HoldStatus.OPEN and h.expires_at == at(60) for h in holds)
    assert (settled.status, settled.captured, settled.ended_at) == (HoldStatus.SETTLED, 20, at(5))


async def test_another_users_hold_is_not_found(store: Store) -> None:
    await add_users(store, ALICE, BOB)
    async with store.uow() as uow:
        await uow.ledger.credit(ALICE, 50, EntryType.GRANT, key="g", now=NOW)
        receipt = await uow.ledger.hold(ALICE, 10, key="h", now=NOW, expires_at=at(60))
        await uow.commit()
    assert receipt.hold_id is not None
    async with store.uow() as uow:
        assert (await uow.ledger.get_hold(ALICE, receipt.hold_id)).amount == 10
        with pytest.raises(NotFound):
            await uow.ledger.get_hold(BOB, receipt.hold_id)
        with pytest.raises(NotFound):
            await uow.ledger.get_hold(ALICE, HoldId("h-missing"))
        assert list(await uow.ledger.open_holds(BOB)) == []


@pytest.mark.parametrize(
    "operation",
    [
        lambda uow: uow.ledger.balance(GHOST),
        lambda uow: uow.ledger.credit(GHOST, 10, EntryType.GRANT, key="k", now=NOW),
        lambda uow: uow.ledger.claw_back(GHOST, 10, key="k", now=NOW),
        lambda uow: uow.ledger.adjust(GHOST, 10, key="k", now=NOW, reason="fix"),
        lambda uow: uow.ledger.hold(GHOST, 10, key="k", now=NOW, expires_at=at(60)),
        lambda uow: uow.ledger.get_hold(GHOST, HoldId("h-missing")),
        lambda uow: uow.ledger.open_holds(GHOST),
        lambda uow: uow.ledger.entries(GHOST),
        lambda uow: uow.ledger.all_entries(GHOST),
    ],
    ids=[
        "balance",
        "credit",
        "claw_back",
        "adjust",
        "hold",
        "get_hold",
        "open_holds",
        "entries",
        "all_entries",
    ],
)
async def test_ledger_operations_for_a_user_that_does_not_exist_are_not_found(
    store: Store, operation: Callable[[UnitOfWork], Awaitable[object]]
) -> None:
    await add_users(store, ALICE)
    with pytest.raises(NotFound):
        await committed(store, operation)
    # the store still works, and nothing was written for anyone
    async with store.uow() as uow:
        assert await uow.ledger.balance(ALICE) == AccountBalance(ALICE, 0, 0, 0)
        with pytest.raises(NotFound):
            await uow.users.get(GHOST)


async def test_a_read_only_unit_of_work_reads_what_is_committed_and_sql_ones_refuse_to_commit(
    store: Store,
) -> None:
    await add_users(store, UserId("u-ro"))
    async with store.uow(read_only=True) as uow:
        assert (await uow.users.get(UserId("u-ro"))).id == "u-ro"
        if store.kind != "memory":  # the in-memory fake ignores the flag
            with pytest.raises(RuntimeError, match="read-only"):
                await uow.commit()
