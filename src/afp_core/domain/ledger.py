"""The credits ledger: accounts, holds and immutable journal entries (two-phase, TigerBeetle-style).

Per user the account caches `balance` (the sum of its journal entries) and `reserved` (the sum
of the open remainders of its holds); `available = balance - reserved` never goes below zero.
A hold reserves credits for work not yet done and then ends exactly once, by captures and
releases that bring its open remainder to zero, or by expiry.

Everything here is pure: the caller passes ids and the time in, and persists what the methods
return. Ledger adapters (in-memory, SQL) call these methods so the rules live in one place.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from afp_core.domain.errors import (
    AccountInDebt,
    HoldNotOpen,
    InsufficientCredits,
    NotFound,
    OverCapture,
    ValidationFailed,
)
from afp_core.domain.idempotency import fingerprint
from afp_core.domain.ids import EntryId, HoldId, UserId


class EntryType(enum.StrEnum):
    """The seed's `transaction_type`s."""

    PURCHASE = "PURCHASE"  # credits bought through a payment provider
    BONUS = "BONUS"  # promotional credits
    GRANT = "GRANT"  # credits given by the platform (sign-up, demo)
    USAGE = "USAGE"  # capture of a hold: credits spent on work done
    REFUND = "REFUND"  # payment refunded or charged back: credits clawed back
    ADJUSTMENT = "ADJUSTMENT"  # admin correction, signed, with a reason


CREDITING_TYPES = frozenset({EntryType.PURCHASE, EntryType.BONUS, EntryType.GRANT})


class HoldStatus(enum.StrEnum):
    OPEN = "OPEN"
    SETTLED = "SETTLED"  # open remainder brought to zero by captures and releases
    EXPIRED = "EXPIRED"  # the clock passed expires_at; the open remainder was released


@attrs.frozen
class LedgerEntry:
    """One immutable journal line. `amount` is signed: positive credits, negative debits."""

    id: EntryId
    user_id: UserId
    type: EntryType
    amount: int
    balance_after: int
    created_at: datetime
    hold_id: HoldId | None = None
    reference: str | None = None
    reason: str | None = None
    provider: str | None = None
    payment_id: str | None = None


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationFailed(f"{attribute.name} must be a positive integer, got {value!r}")


@attrs.define
class Hold:
    """Credits reserved for work not yet done."""

    id: HoldId
    user_id: UserId
    amount: int = attrs.field(validator=_positive)
    expires_at: datetime
    created_at: datetime
    reference: str = ""
    captured: int = 0
    released: int = 0
    status: HoldStatus = HoldStatus.OPEN
    ended_at: datetime | None = None

    @property
    def open(self) -> int:
        """What is still reserved: `amount - captured - released`."""
        return self.amount - self.captured - self.released

    @property
    def is_open(self) -> bool:
        return self.status is HoldStatus.OPEN

    def _check_takeable(self, amount: int, now: datetime) -> None:
        if not self.is_open:
            raise HoldNotOpen(f"hold {self.id} is {self.status.value.lower()}")
        if now >= self.expires_at:
            raise HoldNotOpen(f"hold {self.id} expired at {self.expires_at.isoformat()}")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValidationFailed(f"amount must be a positive integer, got {amount!r}")
        if amount > self.open:
            raise OverCapture(f"hold {self.id} has {self.open} open, asked for {amount}")

    def _end_if_done(self, now: datetime) -> None:
        if self.open == 0:
            self.status = HoldStatus.SETTLED
            self.ended_at = now

    def take_capture(self, amount: int, now: datetime) -> None:
        self._check_takeable(amount, now)
        self.captured += amount
        self._end_if_done(now)

    def take_release(self, amount: int, now: datetime) -> None:
        self._check_takeable(amount, now)
        self.released += amount
        self._end_if_done(now)

    def take_expiry(self, now: datetime) -> int:
        if not self.is_open:
            raise HoldNotOpen(f"hold {self.id} is {self.status.value.lower()}")
        if now < self.expires_at:
            raise HoldNotOpen(f"hold {self.id} does not expire before {self.expires_at}")
        remainder = self.open
        self.released += remainder
        self.status = HoldStatus.EXPIRED
        self.ended_at = now
        return remainder


@attrs.frozen
class AccountBalance:
    """A read-only view of one account."""

    user_id: UserId
    balance: int
    reserved: int
    debt: int = 0

    @property
    def available(self) -> int:
        return self.balance - self.reserved


@attrs.define
class CreditAccount:
    """One user's account. Methods enforce the rules and return the journal lines to append."""

    user_id: UserId
    balance: int = 0
    reserved: int = 0
    debt: int = 0  # credits a refund could not claw back yet; blocks new holds

    @property
    def available(self) -> int:
        return self.balance - self.reserved

    def snapshot(self) -> AccountBalance:
        return AccountBalance(self.user_id, self.balance, self.reserved, self.debt)

    def _entry(
        self,
        entry_id: EntryId,
        type_: EntryType,
        amount: int,
        now: datetime,
        **extra: str | None,
    ) -> LedgerEntry:
        self.balance += amount
        return LedgerEntry(
            id=entry_id,
            user_id=self.user_id,
            type=type_,
            amount=amount,
            balance_after=self.balance,
            created_at=now,
            hold_id=HoldId(hold) if (hold := extra.get("hold_id")) else None,
            reference=extra.get("reference"),
            reason=extra.get("reason"),
            provider=extra.get("provider"),
            payment_id=extra.get("payment_id"),
        )

    # -------------------------------------------------------------- credits in
    def credit(
        self,
        entry_ids: tuple[EntryId, EntryId],
        amount: int,
        type_: EntryType,
        now: datetime,
        *,
        reason: str | None = None,
        provider: str | None = None,
        payment_id: str | None = None,
    ) -> list[LedgerEntry]:
        """Add credits. An outstanding debt is paid from them first (a second REFUND line)."""
        _positive(None, attrs.fields(Hold).amount, amount)
        if type_ not in CREDITING_TYPES and type_ is not EntryType.ADJUSTMENT:
            raise ValidationFailed(f"{type_} does not add credits")
        entries = [
            self._entry(
                entry_ids[0],
                type_,
                amount,
                now,
                reason=reason,
                provider=provider,
                payment_id=payment_id,
            )
        ]
        repaid = min(self.debt, self.available)
        if repaid > 0:
            self.debt -= repaid
            entries.append(
                self._entry(entry_ids[1], EntryType.REFUND, -repaid, now, reason="debt repayment")
            )
        return entries

    # -------------------------------------------------------------- credits out
    def claw_back(
        self,
        entry_id: EntryId,
        amount: int,
        now: datetime,
        *,
        reason: str | None = None,
        provider: str | None = None,
        payment_id: str | None = None,
    ) -> LedgerEntry:
        """Take back refunded credits. What is not available now becomes recorded debt."""
        _positive(None, attrs.fields(Hold).amount, amount)
        taken = min(amount, self.available)
        self.debt += amount - taken
        return self._entry(
            entry_id,
            EntryType.REFUND,
            -taken,
            now,
            reason=reason if taken == amount else f"{reason or 'refund'}; {amount - taken} owed",
            provider=provider,
            payment_id=payment_id,
        )

    def adjust(
        self, entry_ids: tuple[EntryId, EntryId], delta: int, now: datetime, *, reason: str
    ) -> list[LedgerEntry]:
        """An admin correction. A debit may not take more than is available."""
        if not reason.strip():
            raise ValidationFailed("an adjustment needs a reason")
        if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
            raise ValidationFailed(f"adjustment must be a non-zero integer, got {delta!r}")
        if delta > 0:
            return self.credit(entry_ids, delta, EntryType.ADJUSTMENT, now, reason=reason)
        if -delta > self.available:
            raise InsufficientCredits(needed=-delta, available=self.available)
        return [self._entry(entry_ids[0], EntryType.ADJUSTMENT, delta, now, reason=reason)]

    # -------------------------------------------------------------- holds
    def hold(
        self,
        hold_id: HoldId,
        amount: int,
        now: datetime,
        *,
        expires_at: datetime,
        reference: str = "",
    ) -> Hold:
        """Reserve `amount` until `expires_at`. Checks, in order: the request itself, debt,
        then what is available (every ledger adapter reports the first that fails)."""
        hold = Hold(
            id=hold_id,
            user_id=self.user_id,
            amount=amount,
            expires_at=expires_at,
            created_at=now,
            reference=reference,
        )
        if expires_at <= now:
            raise ValidationFailed("a hold must expire in the future")
        if self.debt:
            raise AccountInDebt(f"account owes {self.debt} credits from a refund")
        if amount > self.available:
            raise InsufficientCredits(needed=amount, available=self.available)
        self.reserved += amount
        return hold

    def _own(self, hold: Hold) -> None:
        if hold.user_id != self.user_id:
            raise NotFound(f"hold {hold.id} not found")

    def capture(self, hold: Hold, amount: int, entry_id: EntryId, now: datetime) -> LedgerEntry:
        """Spend `amount` of the hold: a USAGE line."""
        self._own(hold)
        hold.take_capture(amount, now)
        self.reserved -= amount
        return self._entry(
            entry_id, EntryType.USAGE, -amount, now, hold_id=hold.id, reference=hold.reference
        )

    def release(self, hold: Hold, amount: int | None, now: datetime) -> int:
        """Give back `amount` of the hold (all that is open when None). Writes no line."""
        self._own(hold)
        amount = hold.open if amount is None else amount
        hold.take_release(amount, now)
        self.reserved -= amount
        return amount

    def expire(self, hold: Hold, now: datetime) -> int:
        """End a hold whose time has passed, releasing exactly its open remainder."""
        self._own(hold)
        released = hold.take_expiry(now)
        self.reserved -= released
        return released


@attrs.frozen
class LedgerReceipt:
    """The result of one ledger operation, stored with its idempotency key and replayed as is."""

    operation: str
    user_id: UserId
    amount: int
    balance: int
    reserved: int
    hold_id: HoldId | None = None
    entry_ids: tuple[EntryId, ...] = ()

    @property
    def available(self) -> int:
        return self.balance - self.reserved


def request_fingerprint(operation: str, user_id: UserId, fields: Mapping[str, object]) -> str:
    """The idempotency fingerprint of one ledger request. Every ledger adapter (and every fast
    path inside one) uses this, so the same request fingerprints the same everywhere."""
    return fingerprint(operation, {"user_id": user_id, **fields})


__all__ = [
    "CREDITING_TYPES",
    "AccountBalance",
    "CreditAccount",
    "EntryType",
    "Hold",
    "HoldStatus",
    "LedgerEntry",
    "LedgerReceipt",
    "request_fingerprint",
]
