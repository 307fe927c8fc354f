"""`InMemoryCreditLedger`: the reference implementation every SQL ledger is compared with."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from afp_adapters.fakes._state import Tables
from afp_core.domain.errors import IdempotencyConflict, NotFound
from afp_core.domain.idempotency import check_key
from afp_core.domain.ids import EntryId, HoldId, UserId
from afp_core.domain.ledger import (
    AccountBalance,
    CreditAccount,
    EntryType,
    Hold,
    LedgerEntry,
    LedgerReceipt,
    request_fingerprint,
)
from afp_core.ports.system import IdGenerator


class InMemoryCreditLedger:
    """Implements `CreditLedger` on the tables of one in-memory unit of work."""

    def __init__(self, tables: Tables, ids: IdGenerator) -> None:
        self._t = tables
        self._ids = ids

    # ---------------------------------------------------------------- helpers
    def _known(self, user_id: UserId) -> None:
        if user_id not in self._t.users:
            raise NotFound(f"user {user_id} not found")

    def _account(self, user_id: UserId) -> CreditAccount:
        """A private copy of the account, put in this unit of work's table (copy on write)."""
        self._known(user_id)
        current = self._t.accounts.get(user_id) or CreditAccount(user_id)
        mine = copy.copy(current)
        self._t.accounts[user_id] = mine
        return mine

    def _hold(self, user_id: UserId, hold_id: HoldId) -> Hold:
        hold = self._t.holds.get(hold_id)
        if hold is None or hold.user_id != user_id:
            raise NotFound(f"hold {hold_id} not found")
        mine = copy.copy(hold)
        self._t.holds[hold_id] = mine
        return mine

    def _entry_ids(self) -> tuple[EntryId, EntryId]:
        return EntryId(self._ids.new_id()), EntryId(self._ids.new_id())

    def _idempotent(
        self,
        user_id: UserId,
        key: str,
        operation: str,
        payload: Mapping[str, object],
        run: Callable[[], LedgerReceipt],
    ) -> LedgerReceipt:
        check_key(key)
        fp = request_fingerprint(operation, user_id, payload)
        stored = self._t.ledger_keys.get((user_id, key))
        if stored is not None:
            if stored[0] != fp:
                raise IdempotencyConflict(
                    f"idempotency key {key!r} was already used with a different request"
                )
            return stored[1]
        receipt = run()
        self._t.ledger_keys[(user_id, key)] = (fp, receipt)
        return receipt

    def _receipt(
        self,
        operation: str,
        account: CreditAccount,
        amount: int,
        *,
        hold_id: HoldId | None = None,
        entries: Sequence[LedgerEntry] = (),
    ) -> LedgerReceipt:
        self._t.entries.extend(entries)
        return LedgerReceipt(
            operation=operation,
            user_id=account.user_id,
            amount=amount,
            balance=account.balance,
            reserved=account.reserved,
            hold_id=hold_id,
            entry_ids=tuple(e.id for e in entries),
        )

    # ---------------------------------------------------------------- reads
    async def balance(self, user_id: UserId) -> AccountBalance:
        self._known(user_id)
        account = self._t.accounts.get(user_id) or CreditAccount(user_id)
        return account.snapshot()

    async def get_hold(self, user_id: UserId, hold_id: HoldId) -> Hold:
        self._known(user_id)
        hold = self._t.holds.get(hold_id)
        if hold is None or hold.user_id != user_id:
            raise NotFound(f"hold {hold_id} not found")
        return copy.copy(hold)

    async def open_holds(self, user_id: UserId) -> Sequence[Hold]:
        self._known(user_id)
        return [copy.copy(h) for h in self._t.holds.values() if h.user_id == user_id and h.is_open]

    async def entries(
        self, user_id: UserId, *, limit: int = 50, before: str | None = None
    ) -> Sequence[LedgerEntry]:
        self._known(user_id)
        mine = [e for e in reversed(self._t.entries) if e.user_id == user_id]
        if before is not None:
            ids = [e.id for e in mine]
            mine = mine[ids.index(EntryId(before)) + 1 :] if before in ids else []
        return mine[:limit]

    async def all_entries(self, user_id: UserId) -> Sequence[LedgerEntry]:
        self._known(user_id)
        return [e for e in self._t.entries if e.user_id == user_id]

    async def entries_page(
        self, user_id: UserId, *, limit: int, offset: int
    ) -> Sequence[LedgerEntry]:
        self._known(user_id)
        mine = [e for e in reversed(self._t.entries) if e.user_id == user_id]
        return mine[offset : offset + limit]

    async def count_entries(self, user_id: UserId) -> int:
        self._known(user_id)
        return sum(1 for e in self._t.entries if e.user_id == user_id)

    # ---------------------------------------------------------------- writes
    async def credit(
        self,
        user_id: UserId,
        amount: int,
        type_: EntryType,
        *,
        key: str,
        now: datetime,
        reason: str | None = None,
        provider: str | None = None,
        payment_id: str | None = None,
    ) -> LedgerReceipt:
        def run() -> LedgerReceipt:
            account = self._account(user_id)
            entries = account.credit(
                self._entry_ids(),
                amount,
                type_,
                now,
                reason=reason,
                provider=provider,
                payment_id=payment_id,
            )
            return self._receipt("credit", account, amount, entries=entries)

        payload = {
            "amount": amount,
            "type": str(type_),
            "reason": reason,
            "provider": provider,
            "payment_id": payment_id,
        }
        return self._idempotent(user_id, key, "credit", payload, run)

    async def claw_back(
        self,
        user_id: UserId,
        amount: int,
        *,
        key: str,
        now: datetime,
        reason: str | None = None,
        provider: str | None = None,
        payment_id: str | None = None,
    ) -> LedgerReceipt:
        def run() -> LedgerReceipt:
            account = self._account(user_id)
            entry = account.claw_back(
                self._entry_ids()[0],
                amount,
                now,
                reason=reason,
                provider=provider,
                payment_id=payment_id,
            )
            return self._receipt("claw_back", account, amount, entries=[entry])

        payload = {
            "amount": amount,
            "reason": reason,
            "provider": provider,
            "payment_id": payment_id,
        }
        return self._idempotent(user_id, key, "claw_back", payload, run)

    async def adjust(
        self, user_id: UserId, delta: int, *, key: str, now: datetime, reason: str
    ) -> LedgerReceipt:
        def run() -> LedgerReceipt:
            account = self._account(user_id)
            entries = account.adjust(self._entry_ids(), delta, now, reason=reason)
            return self._receipt("adjust", account, delta, entries=entries)

        return self._idempotent(user_id, key, "adjust", {"delta": delta, "reason": reason}, run)

    async def hold(
        self,
        user_id: UserId,
        amount: int,
        *,
        key: str,
        now: datetime,
        expires_at: datetime,
        reference: str = "",
    ) -> LedgerReceipt:
        def run() -> LedgerReceipt:
            account = self._account(user_id)
            hold = account.hold(
                HoldId(self._ids.new_id()),
                amount,
                now,
                expires_at=expires_at,
                reference=reference,
            )
            self._t.holds[hold.id] = hold
            return self._receipt("hold", account, amount, hold_id=hold.id)

        payload = {"amount": amount, "reference": reference}
        return self._idempotent(user_id, key, "hold", payload, run)

    async def capture(
        self, user_id: UserId, hold_id: HoldId, amount: int, *, key: str, now: datetime
    ) -> LedgerReceipt:
        def run() -> LedgerReceipt:
            hold = self._hold(user_id, hold_id)
            account = self._account(user_id)
            entry = account.capture(hold, amount, EntryId(self._ids.new_id()), now)
            return self._receipt("capture", account, amount, hold_id=hold_id, entries=[entry])

        payload = {"hold_id": hold_id, "amount": amount}
        return self._idempotent(user_id, key, "capture", payload, run)

    async def release(
        self,
        user_id: UserId,
        hold_id: HoldId,
        amount: int | None,
        *,
        key: str,
        now: datetime,
    ) -> LedgerReceipt:
        def run() -> LedgerReceipt:
            hold = self._hold(user_id, hold_id)
            account = self._account(user_id)
            released = account.release(hold, amount, now)
            return self._receipt("release", account, released, hold_id=hold_id)

        payload = {"hold_id": hold_id, "amount": amount}
        return self._idempotent(user_id, key, "release", payload, run)

    async def expire_due(self, now: datetime, *, limit: int = 100) -> Sequence[LedgerReceipt]:
        due = sorted(
            (h for h in self._t.holds.values() if h.is_open and h.expires_at <= now),
            key=lambda h: (h.expires_at, h.id),
        )[:limit]
        receipts = []
        for stale in due:
            hold = self._hold(stale.user_id, stale.id)
            account = self._account(stale.user_id)
            released = account.expire(hold, now)
            receipt = self._receipt("expire", account, released, hold_id=hold.id)
            self._t.ledger_keys[(stale.user_id, f"expire:{hold.id}")] = ("expire", receipt)
            receipts.append(receipt)
        return receipts
