"""A Hypothesis state machine over any `CreditLedger` behind a `UnitOfWork`.

The machine keeps its own tiny model of one user's account and checks, after every step, that
the ledger agrees with it and that invariants L1-L6, L8 and L11 of ledger-invariants.md hold
(L7, about videos, is checked by the use-case machine in test_video_machine.py).
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
from afp_core.domain.errors import (
    AccountInDebt,
    DomainError,
    HoldNotOpen,
    IdempotencyConflict,
    InsufficientCredits,
    OverCapture,
)
from afp_core.domain.ids import HoldId, UserId
from afp_core.domain.ledger import EntryType, HoldStatus, LedgerEntry, LedgerReceipt
from afp_core.domain.users import User
from afp_core.ports.unit_of_work import UnitOfWork
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
class Call:
    """A ledger call that succeeded, kept to replay it."""

    op: str
    args: tuple[Any, ...]
    receipt: LedgerReceipt


class LedgerMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    used_keys = Bundle("used_keys")
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

    # ----------------------------------------------------------------- invariants
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
