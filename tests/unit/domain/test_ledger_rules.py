"""The ledger's pure rules: accounts, holds, debt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afp_core.domain.errors import (
    AccountInDebt,
    HoldNotOpen,
    InsufficientCredits,
    NotFound,
    OverCapture,
    ValidationFailed,
)
from afp_core.domain.ids import EntryId, HoldId, UserId
from afp_core.domain.ledger import CreditAccount, EntryType, HoldStatus

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
IDS = (EntryId("e1"), EntryId("e2"))


def funded(amount: int = 100) -> CreditAccount:
    account = CreditAccount(UserId("u"))
    account.credit(IDS, amount, EntryType.GRANT, NOW)
    return account


def test_a_hold_reserves_without_spending() -> None:
    account = funded()
    hold = account.hold(HoldId("h"), 30, NOW, expires_at=LATER)
    assert (account.balance, account.reserved, account.available) == (100, 30, 70)
    assert (hold.open, hold.status) == (30, HoldStatus.OPEN)


def test_a_hold_beyond_what_is_available_is_refused_and_changes_nothing() -> None:
    account = funded(10)
    with pytest.raises(InsufficientCredits) as caught:
        account.hold(HoldId("h"), 11, NOW, expires_at=LATER)
    assert (caught.value.needed, caught.value.available) == (11, 10)
    assert account.reserved == 0


@pytest.mark.parametrize("amount", [0, -5, True, 2.5])
def test_a_hold_must_be_a_positive_integer(amount: object) -> None:
    with pytest.raises(ValidationFailed):
        funded().hold(HoldId("h"), amount, NOW, expires_at=LATER)  # type: ignore[arg-type]


def test_a_hold_must_expire_in_the_future() -> None:
    with pytest.raises(ValidationFailed):
        funded().hold(HoldId("h"), 1, NOW, expires_at=NOW)


def test_capture_spends_part_of_a_hold_and_the_rest_can_be_released() -> None:
    account = funded()
    hold = account.hold(HoldId("h"), 30, NOW, expires_at=LATER)
    entry = account.capture(hold, 20, EntryId("c"), NOW)
    released = account.release(hold, None, NOW)
    assert (entry.type, entry.amount, entry.balance_after) == (EntryType.USAGE, -20, 80)
    assert released == 10
    assert (hold.captured, hold.released, hold.open, hold.status) == (20, 10, 0, HoldStatus.SETTLED)
    assert (account.balance, account.reserved) == (80, 0)


def test_nothing_is_captured_beyond_the_open_remainder() -> None:
    account = funded()
    hold = account.hold(HoldId("h"), 30, NOW, expires_at=LATER)
    account.capture(hold, 25, EntryId("c"), NOW)
    with pytest.raises(OverCapture):
        account.capture(hold, 6, EntryId("c2"), NOW)
    assert (hold.captured, account.balance, account.reserved) == (25, 75, 5)


def test_an_ended_hold_takes_no_more_captures_or_releases() -> None:
    account = funded()
    hold = account.hold(HoldId("h"), 5, NOW, expires_at=LATER)
    account.release(hold, None, NOW)
    with pytest.raises(HoldNotOpen):
        account.capture(hold, 1, EntryId("c"), NOW)
    with pytest.raises(HoldNotOpen):
        account.release(hold, 1, NOW)


def test_a_hold_past_its_expiry_cannot_be_captured_and_expires_exactly_its_remainder() -> None:
    account = funded()
    hold = account.hold(HoldId("h"), 30, NOW, expires_at=LATER)
    account.capture(hold, 12, EntryId("c"), NOW)
    with pytest.raises(HoldNotOpen):
        account.capture(hold, 1, EntryId("c2"), LATER)
    with pytest.raises(HoldNotOpen):
        account.expire(hold, NOW)  # not yet due
    assert account.expire(hold, LATER) == 18
    assert (hold.status, hold.open, account.reserved, account.balance) == (
        HoldStatus.EXPIRED,
        0,
        0,
        88,
    )


def test_another_users_hold_is_not_found() -> None:
    account = funded()
    hold = account.hold(HoldId("h"), 5, NOW, expires_at=LATER)
    stranger = funded()
    stranger.user_id = UserId("other")
    with pytest.raises(NotFound):
        stranger.capture(hold, 1, EntryId("c"), NOW)


def test_a_refund_beyond_what_is_available_becomes_debt_that_blocks_holds() -> None:
    account = funded(50)
    account.hold(HoldId("h"), 20, NOW, expires_at=LATER)
    entry = account.claw_back(EntryId("r"), 45, NOW, reason="chargeback")
    assert (entry.type, entry.amount) == (EntryType.REFUND, -30)
    assert (account.balance, account.reserved, account.available, account.debt) == (20, 20, 0, 15)
    assert "15 owed" in (entry.reason or "")
    with pytest.raises(AccountInDebt):
        account.hold(HoldId("h2"), 1, NOW, expires_at=LATER)


def test_later_credits_repay_the_debt_first() -> None:
    account = funded(10)
    account.claw_back(EntryId("r"), 25, NOW)
    entries = account.credit((EntryId("p"), EntryId("d")), 100, EntryType.PURCHASE, NOW)
    assert [(e.type, e.amount) for e in entries] == [
        (EntryType.PURCHASE, 100),
        (EntryType.REFUND, -15),
    ]
    assert (account.balance, account.debt) == (85, 0)
    account.hold(HoldId("h"), 85, NOW, expires_at=LATER)


def test_an_adjustment_needs_a_reason_and_cannot_overdraw() -> None:
    account = funded(10)
    with pytest.raises(ValidationFailed):
        account.adjust(IDS, 5, NOW, reason=" ")
    with pytest.raises(ValidationFailed):
        account.adjust(IDS, 0, NOW, reason="zero")
    with pytest.raises(InsufficientCredits):
        account.adjust(IDS, -11, NOW, reason="too much")
    [entry] = account.adjust(IDS, -4, NOW, reason="duplicate grant")
    assert (entry.type, entry.amount, account.balance) == (EntryType.ADJUSTMENT, -4, 6)


def test_usage_and_refund_cannot_be_credited() -> None:
    with pytest.raises(ValidationFailed):
        funded().credit(IDS, 5, EntryType.USAGE, NOW)
