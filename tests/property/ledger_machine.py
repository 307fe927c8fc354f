"""A Hypothesis state machine over any `CreditLedger` behind a `UnitOfWork`.

The machine keeps its own tiny model of one user's account and checks, after every step, that
the ledger agrees with it and that invariants L1-L6, L8 and L11 of ledger-invariants.md hold
(L7, about videos, is checked by the use-case machine in test_video_machine.py). Batch rules
(start, settle an item ok or failed in any order, cancel, retry the failed items) drive the
batch repository and the ledger together through the core's settlement helpers: L5 per item,
L10 (a refused start leaves no batch) and the batch holds' captures match their items.
Subclasses say which ledger to test by implementing `make_world`; the SQL suites reuse it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)

from afp_adapters.fakes import InMemoryDatabase, SequentialIds
from afp_adapters.fakes.system import FakeClock
from afp_core.domain.batch import Batch, BatchItem, ItemStatus
from afp_core.domain.batch_header import BatchHeader
from afp_core.domain.errors import (
    AccountInDebt,
    DomainError,
    HoldNotOpen,
    IdempotencyConflict,
    InsufficientCredits,
    OverCapture,
)
from afp_core.domain.ids import BatchId, BatchItemId, HoldId, UserId
from afp_core.domain.ledger import EntryType, HoldStatus, LedgerEntry, LedgerReceipt
from afp_core.domain.users import User
from afp_core.ports.unit_of_work import UnitOfWork
from afp_core.usecases._settlement import (
    dispatch_next,
    hold_is_usable,
    release_item,
    release_share,
)
from tests import strategies as s

T = TypeVar("T")


async def add_user(uow_factory: Callable[[], UnitOfWork], user_id: UserId, now: datetime) -> None:
    async with uow_factory() as uow:
        await uow.users.add(User(id=user_id, email=f"{user_id}@ledger.test", created_at=now))
        await uow.commit()


def same_outcome(got: LedgerReceipt | DomainError, expected: LedgerReceipt | DomainError) -> bool:
    """Equal results up to the ids each adapter makes (L14)."""
    if isinstance(got, DomainError) or isinstance(expected, DomainError):
        return (
            isinstance(got, DomainError)
            and isinstance(expected, DomainError)
            and got.code == expected.code
        )
    return (got.operation, got.amount, got.balance, got.reserved, len(got.entry_ids)) == (
        expected.operation,
        expected.amount,
        expected.balance,
        expected.reserved,
        len(expected.entry_ids),
    ) and (got.hold_id is None) == (expected.hold_id is None)


@attrs.define
class ModelHold:
    amount: int
    expires_at: datetime
    captured: int = 0
    released: int = 0
    status: HoldStatus = HoldStatus.OPEN

    @property
    def open(self) -> int:
        return self.amount - self.captured - self.released


@attrs.define
class ModelItem:
    price: int
    hold: int  # index into ModelBatch.holds
    status: ItemStatus = ItemStatus.PENDING


@attrs.define
class ModelBatch:
    holds: list[HoldId]
    items: list[ModelItem]
    cancelled: bool = False


BATCH_TTL = timedelta(hours=2)


@attrs.define
class Call:
    """A ledger call that succeeded, kept to replay it."""

    op: str
    args: tuple[Any, ...]
    receipt: LedgerReceipt


class LedgerMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    used_keys = Bundle("used_keys")
    batches = Bundle("batches")
    compare_with_reference = False  # L14: mirror every call on the in-memory reference

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        tag = uuid.uuid4().hex[:12]
        self.user, self.other = UserId(f"u-{tag}"), UserId(f"o-{tag}")
        self.uow_factory: Callable[[], UnitOfWork] = self.loop.run_until_complete(self.open_world())
        self.reference: Callable[[], UnitOfWork] | None = None
        self.ref_holds: dict[str, str] = {}  # hold id under test -> hold id in the reference
        if self.compare_with_reference:
            self.reference = InMemoryDatabase(SequentialIds("ref")).unit_of_work
        for factory in filter(None, (self.uow_factory, self.reference)):
            for user_id in (self.user, self.other):
                self.loop.run_until_complete(add_user(factory, user_id, self.clock.now()))
        self.balance = 0
        self.reserved = 0
        self.debt = 0
        self.model_holds: dict[HoldId, ModelHold] = {}
        self.calls: dict[str, Call] = {}
        self.seen_entries: list[LedgerEntry] = []
        self.final_holds: dict[HoldId, tuple[HoldStatus, int, int]] = {}
        self.counter = 0
        self.model_batches: dict[BatchId, ModelBatch] = {}

    # ----------------------------------------------------------------- plumbing
    async def open_world(self) -> Callable[[], UnitOfWork]:
        """The unit-of-work factory of the ledger under test."""
        raise NotImplementedError

    async def close_world(self) -> None:
        """Release what `open_world` opened (engines, connections)."""

    def teardown(self) -> None:
        self.loop.run_until_complete(self.close_world())
        self.loop.close()

    def run(
        self, op: Callable[[UnitOfWork], Awaitable[T]], on: Callable[[], UnitOfWork] | None = None
    ) -> T:
        factory = on or self.uow_factory

        async def go() -> T:
            async with factory() as uow:
                result = await op(uow)
                await uow.commit()
                return result

        return self.loop.run_until_complete(go())

    def attempt(
        self, op: Callable[[UnitOfWork], Awaitable[T]], on: Callable[[], UnitOfWork] | None = None
    ) -> T | DomainError:
        try:
            return self.run(op, on)
        except DomainError as error:
            return error

    def new_key(self) -> str:
        self.counter += 1
        return f"k-{self.counter}"

    def call(self, op: str, *args: Any) -> LedgerReceipt | DomainError:
        got = self._call(op, args, None)
        if self.reference is not None:
            ref_args = args
            if op in ("capture", "release"):
                ref_args = (self.ref_holds.get(args[0], f"ref-unknown-{args[0]}"), *args[1:])
            expected = self._call(op, ref_args, self.reference)
            assert same_outcome(got, expected), (op, args, got, expected)  # L14
            if op == "hold" and isinstance(got, LedgerReceipt) and got.hold_id:
                assert isinstance(expected, LedgerReceipt) and expected.hold_id
                self.ref_holds[got.hold_id] = expected.hold_id
        return got

    def _call(
        self, op: str, args: tuple[Any, ...], on: Callable[[], UnitOfWork] | None
    ) -> LedgerReceipt | DomainError:
        now = self.clock.now()

        async def go(uow: UnitOfWork) -> LedgerReceipt:
            method = getattr(uow.ledger, op)
            if op == "credit":
                amount, type_, key = args
                return await method(self.user, amount, type_, key=key, now=now)  # type: ignore[no-any-return]
            if op == "claw_back":
                amount, key = args
                return await method(self.user, amount, key=key, now=now, reason="refund")  # type: ignore[no-any-return]
            if op == "hold":
                amount, ttl, key = args
                return await method(  # type: ignore[no-any-return]
                    self.user,
                    amount,
                    key=key,
                    now=now,
                    expires_at=now + timedelta(seconds=ttl),
                    reference="test",
                )
            if op in ("capture", "release"):
                hold_id, amount, key = args
                return await method(self.user, hold_id, amount, key=key, now=now)  # type: ignore[no-any-return]
            raise AssertionError(op)

        return self.attempt(go, on)

    def remember(self, key: str, op: str, args: tuple[Any, ...], got: object) -> None:
        if isinstance(got, LedgerReceipt):
            self.calls[key] = Call(op, args, got)

    # ----------------------------------------------------------------- rules
    @initialize(amount=s.credit_amounts)
    def open_account(self, amount: int) -> None:
        key = self.new_key()
        got = self.call("credit", amount, EntryType.GRANT, key)
        assert isinstance(got, LedgerReceipt)
        self.balance += amount
        self.remember(key, "credit", (amount, EntryType.GRANT, key), got)

    @rule(target=used_keys, amount=s.credit_amounts, type_=s.crediting_types)
    def grant(self, amount: int, type_: EntryType) -> str:
        key = self.new_key()
        got = self.call("credit", amount, type_, key)
        assert isinstance(got, LedgerReceipt), got
        self.balance += amount
        repaid = min(self.debt, self.balance - self.reserved)
        self.debt -= repaid
        self.balance -= repaid
        self.remember(key, "credit", (amount, type_, key), got)
        return key

    @rule(target=used_keys, amount=s.credit_amounts)
    def refund(self, amount: int) -> str:
        key = self.new_key()
        got = self.call("claw_back", amount, key)
        assert isinstance(got, LedgerReceipt), got
        taken = min(amount, self.balance - self.reserved)
        self.balance -= taken
        self.debt += amount - taken
        self.remember(key, "claw_back", (amount, key), got)
        return key

    @rule(target=holds, amount=s.hold_amounts, ttl=s.ttl_seconds)
    def hold(self, amount: int, ttl: int) -> HoldId:
        key = self.new_key()
        available = self.balance - self.reserved
        got = self.call("hold", amount, ttl, key)
        if self.debt:
            assert isinstance(got, AccountInDebt), got
            return HoldId("none")
        if amount > available:
            assert isinstance(got, InsufficientCredits), got
            return HoldId("none")
        assert isinstance(got, LedgerReceipt), got
        assert got.hold_id is not None
        self.reserved += amount
        self.model_holds[got.hold_id] = ModelHold(amount, self.clock.now() + timedelta(seconds=ttl))
        self.remember(key, "hold", (amount, ttl, key), got)
        return got.hold_id

    def _take(self, hold_id: HoldId, amount: int | None, op: str) -> None:
        key = self.new_key()
        got = self.call(op, hold_id, amount, key)
        model = self.model_holds.get(hold_id)
        if model is None:
            assert isinstance(got, DomainError), got
            return
        expired = self.clock.now() >= model.expires_at
        wanted = model.open if amount is None else amount
        if model.status is not HoldStatus.OPEN or expired:
            assert isinstance(got, HoldNotOpen), got
            return
        if wanted <= 0 or wanted > model.open:
            assert isinstance(got, OverCapture | DomainError), got
            return
        assert isinstance(got, LedgerReceipt), got
        if op == "capture":
            model.captured += wanted
            self.balance -= wanted
        else:
            model.released += wanted
        self.reserved -= wanted
        if model.open == 0:
            model.status = HoldStatus.SETTLED
        self.remember(key, op, (hold_id, amount, key), got)

    @rule(hold_id=holds, amount=st.integers(min_value=1, max_value=320))
    def capture(self, hold_id: HoldId, amount: int) -> None:
        self._take(hold_id, amount, "capture")

    @rule(hold_id=holds, amount=st.none() | st.integers(min_value=1, max_value=320))
    def release(self, hold_id: HoldId, amount: int | None) -> None:
        self._take(hold_id, amount, "release")

    @rule(seconds=s.clock_steps)
    def advance_clock(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule()
    def expire(self) -> None:
        now = self.clock.now()
        receipts = self.run(lambda uow: uow.ledger.expire_due(now, limit=1000))
        if self.reference is not None:
            ref = self.run(lambda uow: uow.ledger.expire_due(now, limit=1000), self.reference)
            mine = {self.ref_holds[r.hold_id]: r.amount for r in receipts if r.user_id == self.user}
            theirs = {r.hold_id: r.amount for r in ref if r.user_id == self.user}
            assert mine == theirs, (mine, theirs)  # L14
        expected = {
            hid: m.open
            for hid, m in self.model_holds.items()
            if m.status is HoldStatus.OPEN and m.expires_at <= now
        }
        got = {r.hold_id: r.amount for r in receipts if r.user_id == self.user}
        assert got == expected, (got, expected)  # L11: exactly the open remainder
        for hid, remainder in expected.items():
            model = self.model_holds[hid]
            model.released += remainder
            model.status = HoldStatus.EXPIRED
            self.reserved -= remainder

    @rule(key=used_keys)
    def replay_same(self, key: str) -> None:
        call = self.calls.get(key)
        if call is None:
            return
        entries_before = len(self.seen_entries)
        got = self.call(call.op, *call.args)
        assert got == call.receipt, (got, call.receipt)  # L8: the first result, unchanged
        assert len(self._entries()) == entries_before  # and nothing written

    @rule(key=used_keys, other_amount=st.integers(min_value=501, max_value=900))
    def replay_conflicting(self, key: str, other_amount: int) -> None:
        call = self.calls.get(key)
        if call is None:
            return
        entries_before = len(self.seen_entries)
        args = (other_amount, *call.args[1:]) if call.op != "capture" else call.args
        if call.op in ("capture", "release"):
            args = (call.args[0], other_amount, key)
        got = self.call(call.op, *args)
        assert isinstance(got, IdempotencyConflict), got
        assert len(self._entries()) == entries_before

    @rule(hold_id=consumes(holds))
    def other_user_cannot_touch_hold(self, hold_id: HoldId) -> None:
        now = self.clock.now()
        got = self.attempt(
            lambda uow: uow.ledger.capture(self.other, hold_id, 1, key=self.new_key(), now=now)
        )
        assert isinstance(got, DomainError) and got.code == "not_found", got

    # ----------------------------------------------------------------- batch rules
    def on_both(self, op: Callable[[UnitOfWork], Awaitable[T]]) -> T | DomainError:
        """Run `op` on the ledger under test and, with L14 on, on the reference too: the same
        outcome (or the same error code) on both."""
        got = self.attempt(op)
        if self.reference is not None:
            expected = self.attempt(op, self.reference)
            if isinstance(got, DomainError) or isinstance(expected, DomainError):
                assert type(got) is type(expected), (got, expected)  # L14
            else:
                assert got == expected, (got, expected)  # L14
        return got

    def map_reference_hold(
        self, batch_id: BatchId, hold_id: HoldId, item_id: BatchItemId | None
    ) -> None:
        """Remember which reference hold mirrors a batch's hold (the `expire` rule asks)."""
        if self.reference is None:
            return
        theirs = self.run(lambda uow: uow.batches.get_any(batch_id), self.reference)
        self.ref_holds[hold_id] = (
            theirs.hold_id if item_id is None else theirs.hold_of(theirs.item(item_id))
        )

    def usable(self, hold_id: HoldId) -> bool:
        model = self.model_holds[hold_id]
        return model.status is HoldStatus.OPEN and self.clock.now() < model.expires_at

    def model_take(self, hold_id: HoldId, amount: int, op: str) -> None:
        model = self.model_holds[hold_id]
        if op == "capture":
            model.captured += amount
            self.balance -= amount
        else:
            model.released += amount
        self.reserved -= amount
        if model.open == 0:
            model.status = HoldStatus.SETTLED

    def model_hold(self, amount: int) -> bool:
        """Whether a hold of `amount` is granted now (the model's view of `hold`)."""
        return not self.debt and amount <= self.balance - self.reserved

    @rule(target=batches, prices=st.lists(st.integers(1, 60), min_size=1, max_size=5))
    def start_batch(self, prices: list[int]) -> BatchId:
        batch_id = BatchId(f"b-{self.new_key()}")
        now = self.clock.now()
        total = sum(prices)
        granted = self.model_hold(total)

        async def start(uow: UnitOfWork) -> int:
            receipt = await uow.ledger.hold(
                self.user,
                total,
                key=f"batch:{batch_id}:hold",
                now=now,
                expires_at=now + BATCH_TTL,
                reference=f"batch:{batch_id}",
            )
            assert receipt.hold_id is not None
            items = [
                BatchItem(BatchItemId(f"{batch_id}-i{n}"), n + 2, f"https://x.test/{n}", price)
                for n, price in enumerate(prices)
            ]
            batch = Batch(batch_id, self.user, receipt.hold_id, items, now, now)
            await uow.batches.add(batch)
            return receipt.reserved

        got = self.on_both(start)
        if not granted:  # L10: no batch, no hold, no job: nothing at all
            assert isinstance(got, InsufficientCredits | AccountInDebt), got
            found = self.attempt(lambda uow: uow.batches.get_any(batch_id))
            assert isinstance(found, DomainError) and found.code == "not_found"
            return BatchId("none")
        assert not isinstance(got, DomainError), got
        batch = self.run(lambda uow: uow.batches.get_any(batch_id))
        self.map_reference_hold(batch_id, batch.hold_id, None)
        self.reserved += total
        self.model_holds[batch.hold_id] = ModelHold(total, now + BATCH_TTL)
        items = [ModelItem(price, 0) for price in prices]
        self.model_batches[batch_id] = ModelBatch([batch.hold_id], items)
        return batch_id

    @rule(
        batch_id=batches,
        index=st.integers(0, 4),
        succeeded=st.booleans(),
        item_level=st.booleans(),
    )
    def settle_batch_item(
        self, batch_id: BatchId, index: int, succeeded: bool, item_level: bool
    ) -> None:
        """Settle one item, through the whole batch or, as the workers do (`_settle_item`,
        `ProcessBatchItem._fail`), through the batch's header and that item alone."""
        model = self.model_batches.get(batch_id)
        if model is None:
            return
        index %= len(model.items)
        item_id = BatchItemId(f"{batch_id}-i{index}")
        now = self.clock.now()

        async def move(
            uow: UnitOfWork, owner: Batch | BatchHeader, item: BatchItem, ok: bool, amount: int
        ) -> None:
            if ok:
                key = f"batch:{batch_id}:{item.settle_key}"
                await uow.ledger.capture(
                    self.user, owner.hold_of(item), item.price, key=key, now=now
                )
            else:
                await release_share(uow, owner, item, amount, now)

        async def settle(uow: UnitOfWork) -> tuple[bool, bool]:
            if item_level:
                header = await uow.batches.get_header(batch_id, lock=True)
                item = await uow.batches.get_item(batch_id, item_id, lock=True)
                ok = succeeded and await hold_is_usable(uow, self.user, header.hold_of(item), now)
                settlement = header.settle_item(item, succeeded=ok, now=now, error="machine")
                if not settlement.already_settled:
                    await move(uow, header, item, ok, settlement.released)
                    await uow.batches.save_item(header.id, item)
                    await dispatch_next(uow, header, now)
                    await uow.batches.save_header(header)
                return ok, settlement.already_settled
            batch = await uow.batches.get_any(batch_id)
            item = batch.item(item_id)
            ok = succeeded and await hold_is_usable(uow, self.user, batch.hold_of(item), now)
            settlement = batch.settle_item(item_id, succeeded=ok, now=now, error="machine")
            if not settlement.already_settled:
                await move(uow, batch, item, ok, item.price)
                await uow.batches.save(batch)
            return ok, settlement.already_settled

        got = self.on_both(settle)
        assert not isinstance(got, DomainError), got
        item = model.items[index]
        hold_id = model.holds[item.hold]
        usable = self.usable(hold_id)
        if item.status.is_final:  # L5: a second settle changes nothing
            assert got[1], got
            return
        assert got == (succeeded and usable, False), got
        if succeeded and usable:
            item.status = ItemStatus.SUCCEEDED
            self.model_take(hold_id, item.price, "capture")
        else:
            item.status = ItemStatus.FAILED
            if usable:
                self.model_take(hold_id, item.price, "release")

    @rule(batch_id=batches)
    def cancel_batch(self, batch_id: BatchId) -> None:
        model = self.model_batches.get(batch_id)
        if model is None:
            return
        now = self.clock.now()

        async def cancel(uow: UnitOfWork) -> int:
            batch = await uow.batches.get_any(batch_id)
            settlements = batch.cancel(now)
            for settlement in settlements:
                await release_item(uow, batch, settlement.item_id, settlement.released, now)
            await uow.batches.save(batch)
            return len(settlements)

        got = self.on_both(cancel)
        open_items = [i for i in model.items if not i.status.is_final]
        if model.cancelled:
            assert got == 0, got
            return
        if not open_items:  # the batch had ended: IllegalTransition, nothing moves
            assert isinstance(got, DomainError) and got.code == "illegal_transition", got
            return
        assert got == len(open_items), got
        model.cancelled = True
        for item in open_items:
            item.status = ItemStatus.CANCELLED
            hold_id = model.holds[item.hold]
            if self.usable(hold_id):
                self.model_take(hold_id, item.price, "release")

    @rule(batch_id=batches)
    def retry_failed_items(self, batch_id: BatchId) -> None:
        model = self.model_batches.get(batch_id)
        if model is None:
            return
        now = self.clock.now()
        failed = [i for i in model.items if i.status is ItemStatus.FAILED]
        amount = sum(i.price for i in failed)
        key = f"batch:{batch_id}:retry:{self.new_key()}:hold"

        async def retry(uow: UnitOfWork) -> int:
            batch = await uow.batches.get_any(batch_id)
            amount = sum(i.price for i in batch.retryable())
            receipt = await uow.ledger.hold(
                self.user,
                amount,
                key=key,
                now=now,
                expires_at=now + BATCH_TTL,
                reference=f"batch:{batch_id}",
            )
            assert receipt.hold_id is not None
            batch.retry_failed(receipt.hold_id, now)
            await uow.batches.save(batch)
            return len(failed)

        got = self.on_both(retry)
        if model.cancelled or not failed:
            assert isinstance(got, DomainError) and got.code == "illegal_transition", got
            return
        if not self.model_hold(amount):
            assert isinstance(got, InsufficientCredits | AccountInDebt), got
            return
        assert got == len(failed), got
        retried = BatchItemId(f"{batch_id}-i{model.items.index(failed[0])}")
        batch = self.run(lambda uow: uow.batches.get_any(batch_id))
        hold_id = batch.hold_of(batch.item(retried))
        self.map_reference_hold(batch_id, hold_id, retried)
        self.reserved += amount
        self.model_holds[hold_id] = ModelHold(amount, now + BATCH_TTL)
        model.holds.append(hold_id)
        for item in failed:
            item.status = ItemStatus.PENDING
            item.hold = len(model.holds) - 1

    # ----------------------------------------------------------------- invariants
    @invariant()
    def batch_items_match_the_model_and_their_holds(self) -> None:
        """...and the tally stored on the batch row (read alone, as the workers read it) is
        its items counted, whichever path settled them."""
        for batch_id, model in self.model_batches.items():

            async def read(uow: UnitOfWork, b: BatchId = batch_id) -> tuple[Batch, Any]:
                return await uow.batches.get_any(b), (await uow.batches.get_header(b)).tally

            batch, stored = self.run(read)
            assert stored == batch.tally(), (batch_id, stored, batch.tally())
            assert [i.status for i in batch.items] == [i.status for i in model.items]
            assert list(batch.hold_ids) == model.holds
            for n, hold_id in enumerate(model.holds):
                # L6/L7: a hold captured exactly the prices of its items that succeeded
                mine = [m for m in model.items if m.hold == n]
                succeeded = sum(m.price for m in mine if m.status is ItemStatus.SUCCEEDED)
                assert self.model_holds[hold_id].captured == succeeded
                if self.usable(hold_id):  # L4: what is still held is what is still in line
                    waiting = sum(m.price for m in mine if not m.status.is_final)
                    assert self.model_holds[hold_id].open == waiting

    def _entries(self) -> list[LedgerEntry]:
        return list(self.run(lambda uow: uow.ledger.all_entries(self.user)))

    @invariant()
    def ledger_matches_the_reference(self) -> None:
        if self.reference is None:
            return

        async def read(uow: UnitOfWork) -> tuple[Any, list[tuple[Any, int, int]]]:
            entries = await uow.ledger.all_entries(self.user)
            journal = [(e.type, e.amount, e.balance_after) for e in entries]
            return await uow.ledger.balance(self.user), journal

        assert self.run(read) == self.run(read, self.reference)  # L14: balances and journals

    @invariant()
    def ledger_matches_model_and_invariants_hold(self) -> None:
        async def read(uow: UnitOfWork) -> tuple[Any, list[LedgerEntry], list[Any], list[Any]]:
            ledger = uow.ledger
            return (
                await ledger.balance(self.user),
                list(await ledger.all_entries(self.user)),
                list(await ledger.open_holds(self.user)),
                [await ledger.get_hold(self.user, hid) for hid in self.model_holds],
            )

        balance, entries, open_holds, every_hold = self.run(read)  # one consistent snapshot
        holds = {h.id: h for h in open_holds}
        # the model and the ledger agree (what L14 generalises to every adapter)
        assert (balance.balance, balance.reserved, balance.debt) == (
            self.balance,
            self.reserved,
            self.debt,
        )
        # L1 no overdraft
        assert balance.balance >= 0 and balance.reserved >= 0 and balance.available >= 0
        # L2 cached balance = sum of entries (the `transactions` rows); reserved = open remainders
        assert balance.balance == sum(e.amount for e in entries)
        assert balance.reserved == sum(h.open for h in holds.values())
        # L3 append-only: what was seen before is an unchanged prefix
        assert entries[: len(self.seen_entries)] == self.seen_entries
        self.seen_entries = entries
        # L4/L5/L6 per hold, read back from the ledger
        usage: dict[str, int] = {}
        for entry in entries:
            if entry.type is EntryType.USAGE and entry.hold_id:
                usage[entry.hold_id] = usage.get(entry.hold_id, 0) - entry.amount
        for (hid, model), hold in zip(self.model_holds.items(), every_hold, strict=True):
            assert hold.amount == hold.captured + hold.released + hold.open  # L4
            assert hold.open >= 0
            assert (hold.open == 0) == (hold.status is not HoldStatus.OPEN)  # L4 finished => 0
            assert usage.get(hid, 0) == hold.captured <= hold.amount  # L6
            assert (hold.status, hold.captured, hold.released) == (
                model.status,
                model.captured,
                model.released,
            )
            if hid in self.final_holds:  # L5 a final state is reached once and kept
                assert self.final_holds[hid] == (hold.status, hold.captured, hold.released)
            elif hold.status is not HoldStatus.OPEN:
                self.final_holds[hid] = (hold.status, hold.captured, hold.released)
