"""The credits ledger as seen by use cases: every mutation is atomic and idempotent.

Implementations (the in-memory reference, SQLite, PostgreSQL) must behave identically; the
shared property tests hold them to `docs/ledger-invariants.md`. All methods run inside the
current unit of work and take effect on its commit.

Every method of a user that does not exist raises `NotFound`.

Idempotency: every mutating method takes a `key`, scoped to the user. A repeat with the same key
and the same arguments returns the first `LedgerReceipt` unchanged and writes nothing; the same
key with different arguments raises `IdempotencyConflict` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from afp_core.domain.ids import HoldId, UserId
from afp_core.domain.ledger import AccountBalance, EntryType, Hold, LedgerEntry, LedgerReceipt


class CreditLedger(Protocol):
    async def balance(self, user_id: UserId) -> AccountBalance:
        """The account's balance, reserved and debt (zeros for a user with no entries yet)."""
        ...

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
        """Add `amount` (> 0) as PURCHASE, BONUS or GRANT. Pays an outstanding debt first."""
        ...

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
        """Take back refunded credits (a REFUND entry). What is not available becomes debt,
        which blocks new holds until later credits pay it."""
        ...

    async def adjust(
        self, user_id: UserId, delta: int, *, key: str, now: datetime, reason: str
    ) -> LedgerReceipt:
        """An admin ADJUSTMENT, signed; a debit beyond `available` is `InsufficientCredits`."""
        ...

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
        """Reserve `amount`; `receipt.hold_id` names the hold. `InsufficientCredits` when
        `available < amount`, `AccountInDebt` while the account owes credits."""
        ...

    async def capture(
        self, user_id: UserId, hold_id: HoldId, amount: int, *, key: str, now: datetime
    ) -> LedgerReceipt:
        """Spend part or all of a hold's open remainder (a USAGE entry). `HoldNotOpen` for an
        ended or expired hold, `OverCapture` beyond the open remainder, `NotFound` for a hold
        of another user."""
        ...

    async def release(
        self,
        user_id: UserId,
        hold_id: HoldId,
        amount: int | None,
        *,
        key: str,
        now: datetime,
    ) -> LedgerReceipt:
        """Give back `amount` of a hold (its whole open remainder when None)."""
        ...

    async def expire_due(self, now: datetime, *, limit: int = 100) -> Sequence[LedgerReceipt]:
        """End holds whose `expires_at <= now`, releasing exactly their open remainder."""
        ...

    async def get_hold(self, user_id: UserId, hold_id: HoldId) -> Hold:
        """The hold, or `NotFound` (also for another user's hold)."""
        ...

    async def open_holds(self, user_id: UserId) -> Sequence[Hold]:
        """The user's open holds, oldest first."""
        ...

    async def entries(
        self, user_id: UserId, *, limit: int = 50, before: str | None = None
    ) -> Sequence[LedgerEntry]:
        """Journal entries, newest first; `before` is the id of the last entry of the
        previous page."""
        ...

    async def all_entries(self, user_id: UserId) -> Sequence[LedgerEntry]:
        """Every entry of the user, oldest first (for reconciliation)."""
        ...

    async def entries_page(
        self, user_id: UserId, *, limit: int, offset: int
    ) -> Sequence[LedgerEntry]:
        """One page of the journal, newest first (the order of `entries`), skipping `offset`
        entries; a page past the end is empty."""
        ...

    async def count_entries(self, user_id: UserId) -> int:
        """How many journal entries the user has."""
        ...


__all__ = ["CreditLedger"]
