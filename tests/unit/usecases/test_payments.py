"""Buying credit packs and settling payment webhooks on fakes: credited once, clawed back once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from afp_adapters.fakes import FakeClock, FakePayments, InMemoryDatabase, SequentialIds
from afp_core.domain.errors import AccountInDebt, InvalidSignature, ValidationFailed
from afp_core.domain.ids import PurchaseId, UserId
from afp_core.domain.ledger import AccountBalance, EntryType
from afp_core.domain.money import Money
from afp_core.domain.payments import Checkout, PaymentProviderName, Purchase, PurchaseStatus
from afp_core.domain.pricing import CreditPack, default_price_table
from afp_core.domain.users import User
from afp_core.ports.commerce import PaymentProvider
from afp_core.usecases.create_checkout import (
    CreateCheckout,
    CreateCheckoutCommand,
    CreateCheckoutResult,
)
from afp_core.usecases.handle_payment_notice import (
    HandlePaymentNotice,
    HandlePaymentNoticeCommand,
    HandlePaymentNoticeResult,
    NoticeOutcome,
)

SECRET = "whsec-test-secret"
FAKE = PaymentProviderName.FAKE
USER = UserId("user-1")
STARTER_CREDITS = 100  # the default "starter" pack: 100 credits for 9.00 USD
STARTER_CENTS = 900


class PeekingPayments(FakePayments):
    """A `FakePayments` that notes what was committed, and whether a unit of work was open,
    at the moment the provider is asked for a checkout."""

    def __init__(self, db: InMemoryDatabase, webhook_secret: str | None) -> None:
        super().__init__(webhook_secret)
        self._db = db
        self.seen: list[tuple[Purchase | None, bool]] = []

    async def create_checkout(
        self, purchase: Purchase, pack: CreditPack, *, email: str, redirect_url: str | None
    ) -> Checkout:
        committed = self._db.tables.purchases.get(purchase.id)
        self.seen.append((committed, self._db.lock.locked()))
        return await super().create_checkout(purchase, pack, email=email, redirect_url=redirect_url)


class Shop:
    """The payment side of AFP on fakes, with one registered user."""

    def __init__(self, *, secret: str | None = SECRET) -> None:
        self.db = InMemoryDatabase(SequentialIds("row"))
        self.clock = FakeClock()
        self.provider = PeekingPayments(self.db, secret)
        self.signer = FakePayments(SECRET)  # signs deliveries even when the shop has no secret
        payments: dict[PaymentProviderName, PaymentProvider] = {FAKE: self.provider}
        self.checkout = CreateCheckout(
            self.db.unit_of_work,
            payments,
            default_price_table(),
            self.clock,
            SequentialIds("pur"),
        )
        self.notices = HandlePaymentNotice(self.db.unit_of_work, payments, self.clock)

    async def add_user(self, user_id: UserId = USER) -> UserId:
        async with self.db.unit_of_work() as uow:
            await uow.users.add(User(user_id, f"{user_id}@example.com", self.clock.now()))
            await uow.commit()
        return user_id

    async def buy(self, pack_id: str = "starter", user_id: UserId = USER) -> CreateCheckoutResult:
        return await self.checkout.execute(CreateCheckoutCommand(user_id, FAKE, pack_id))

    async def deliver(self, **fields: object) -> HandlePaymentNoticeResult:
        body, headers = self.signer.webhook(**fields)
        return await self.notices.execute(HandlePaymentNoticeCommand(FAKE, body, headers))

    async def paid(
        self, purchase_id: str, *, event_id: str = "evt-paid", payment_id: str = "pay-1"
    ) -> HandlePaymentNoticeResult:
        return await self.deliver(
            event_id=event_id,
            kind="paid",
            purchase_id=purchase_id,
            payment_id=payment_id,
            amount="9.00",
            currency="USD",
        )

    async def refunded(
        self, purchase_id: str | None, total: str, *, event_id: str, payment_id: str = "pay-1"
    ) -> HandlePaymentNoticeResult:
        return await self.deliver(
            event_id=event_id,
            kind="refunded",
            purchase_id=purchase_id,
            payment_id=payment_id,
            refunded_total=total,
            currency="USD",
        )

    async def balance(self, user_id: UserId = USER) -> AccountBalance:
        async with self.db.unit_of_work() as uow:
            return await uow.ledger.balance(user_id)

    async def entries(self, type_: EntryType, user_id: UserId = USER) -> list[int]:
        async with self.db.unit_of_work() as uow:
            return [e.amount for e in await uow.ledger.all_entries(user_id) if e.type is type_]

    async def purchase(self, purchase_id: str) -> Purchase:
        async with self.db.unit_of_work() as uow:
            found = await uow.purchases.get(PurchaseId(purchase_id))
        assert found is not None
        return found

    def snapshot(self) -> tuple[int, int, int, int]:
        t = self.db.tables
        return (len(t.purchases), len(t.webhook_events), len(t.entries), self.db.commits)


@pytest.fixture
async def shop() -> Shop:
    shop = Shop()
    await shop.add_user()
    return shop


# ------------------------------------------------------------------------------ checkout


async def test_a_checkout_records_the_pending_purchase_before_calling_the_provider(
    shop: Shop,
) -> None:
    result = await shop.buy()
    [(committed, uow_open)] = shop.provider.seen
    assert committed is not None
    assert committed.status is PurchaseStatus.PENDING
    assert uow_open is False
    assert result.checkout_url == f"https://pay.fake.invalid/checkout/{result.purchase_id}"
    assert (result.credits, result.price) == (STARTER_CREDITS, Money("9.00", "USD"))
    stored = await shop.purchase(result.purchase_id)
    assert stored.checkout_url == result.checkout_url
    assert (stored.user_id, stored.pack_id, stored.provider) == (USER, "starter", FAKE)
    assert len(result.purchase_id) <= 28


async def test_an_unknown_pack_is_a_validation_error_and_writes_nothing(shop: Shop) -> None:
    before = shop.snapshot()
    with pytest.raises(ValidationFailed) as caught:
        await shop.buy("platinum")
    assert caught.value.code == "validation_error"
    assert shop.snapshot() == before
    assert shop.provider.checkouts == []


async def test_a_checkout_with_a_provider_that_is_not_configured_is_refused(shop: Shop) -> None:
    before = shop.snapshot()
    with pytest.raises(ValidationFailed):
        await shop.checkout.execute(
            CreateCheckoutCommand(USER, PaymentProviderName.LEMONSQUEEZY, "starter")
        )
    assert shop.snapshot() == before


# ------------------------------------------------------------------------------ payments


async def test_a_paid_notice_credits_the_pack(shop: Shop) -> None:
    bought = await shop.buy()
    result = await shop.paid(bought.purchase_id)
    assert result == HandlePaymentNoticeResult(
        NoticeOutcome.CREDITED, bought.purchase_id, credits_added=STARTER_CREDITS
    )
    assert (await shop.balance()).balance == STARTER_CREDITS
    purchase = await shop.purchase(bought.purchase_id)
    assert (purchase.status, purchase.payment_id) == (PurchaseStatus.PAID, "pay-1")


async def test_the_same_paid_delivery_twice_credits_once(shop: Shop) -> None:
    bought = await shop.buy()
    first = await shop.paid(bought.purchase_id)
    again = await shop.paid(bought.purchase_id)
    assert (first.outcome, again.outcome) == ("credited", "duplicate")
    assert again.credits_added == 0
    assert await shop.entries(EntryType.PURCHASE) == [STARTER_CREDITS]


async def test_two_event_ids_for_one_payment_credit_once(shop: Shop) -> None:
    bought = await shop.buy()
    await shop.paid(bought.purchase_id, event_id="evt-a")
    second = await shop.paid(bought.purchase_id, event_id="evt-b")
    assert second.outcome == "duplicate"
    assert await shop.entries(EntryType.PURCHASE) == [STARTER_CREDITS]
    assert (await shop.balance()).balance == STARTER_CREDITS


async def test_a_bad_signature_is_refused_and_writes_nothing(shop: Shop) -> None:
    bought = await shop.buy()
    body, headers = shop.signer.webhook(
        event_id="evt-paid", kind="paid", purchase_id=bought.purchase_id, payment_id="pay-1"
    )
    forged = body.replace(b"pay-1", b"pay-2")
    before = shop.snapshot()
    with pytest.raises(InvalidSignature) as caught:
        await shop.notices.execute(HandlePaymentNoticeCommand(FAKE, forged, headers))
    assert caught.value.code == "invalid_signature"
    with pytest.raises(InvalidSignature):
        await shop.notices.execute(HandlePaymentNoticeCommand(FAKE, body, {}))
    assert shop.snapshot() == before


async def test_webhooks_are_refused_when_no_secret_is_configured() -> None:
    shop = Shop(secret=None)
    await shop.add_user()
    bought = await shop.buy()
    before = shop.snapshot()
    with pytest.raises(InvalidSignature):
        await shop.paid(bought.purchase_id)
    assert shop.snapshot() == before
    assert (await shop.balance()).balance == 0


async def test_webhooks_for_a_provider_that_is_not_configured_are_refused(shop: Shop) -> None:
    body, headers = shop.signer.webhook(event_id="e", kind="paid", purchase_id="x", payment_id="p")
    before = shop.snapshot()
    with pytest.raises(InvalidSignature):
        await shop.notices.execute(
            HandlePaymentNoticeCommand(PaymentProviderName.CRYPTOMUS, body, headers)
        )
    assert shop.snapshot() == before


async def test_a_paid_notice_for_an_unknown_purchase_is_stored_as_unmatched(shop: Shop) -> None:
    result = await shop.paid("no-such-purchase")
    assert (result.outcome, result.purchase_id) == ("unmatched", None)
    assert "no-such-purchase" in result.detail
    [stored] = shop.db.tables.webhook_events.values()
    assert (stored.event_id, stored.outcome, stored.kind) == ("evt-paid", "unmatched", "paid")
    assert shop.db.tables.entries == []
    again = await shop.paid("no-such-purchase")
    assert again.outcome == "duplicate"


async def test_every_verified_delivery_is_stored_raw_with_its_outcome(shop: Shop) -> None:
    bought = await shop.buy()
    body, headers = shop.signer.webhook(
        event_id="evt-raw",
        kind="paid",
        purchase_id=bought.purchase_id,
        payment_id="pay-1",
        amount="9.00",
        currency="USD",
    )
    await shop.notices.execute(HandlePaymentNoticeCommand(FAKE, body, headers))
    stored = shop.db.tables.webhook_events[("fake", "evt-raw")]
    assert stored.body == body
    assert (stored.outcome, stored.purchase_id) == ("credited", bought.purchase_id)
    assert len(stored.body_sha256) == 64


async def test_a_payment_below_the_price_or_in_another_currency_is_flagged_not_credited(
    shop: Shop,
) -> None:
    bought = await shop.buy()
    cheap = await shop.deliver(
        event_id="evt-cheap",
        kind="paid",
        purchase_id=bought.purchase_id,
        payment_id="pay-1",
        amount="4.50",
        currency="USD",
    )
    assert cheap.outcome == "flagged"
    assert "4.50 USD" in cheap.detail
    purchase = await shop.purchase(bought.purchase_id)
    assert purchase.status is PurchaseStatus.NEEDS_REVIEW
    assert purchase.review_reason == cheap.detail
    euros = await shop.deliver(
        event_id="evt-eur",
        kind="paid",
        purchase_id=bought.purchase_id,
        payment_id="pay-1",
        amount="9.00",
        currency="EUR",
    )
    assert euros.outcome == "flagged"
    assert shop.db.tables.entries == []
    # the buyer tops up: the full payment credits the pack and clears the review
    full = await shop.paid(bought.purchase_id, event_id="evt-full")
    assert (full.outcome, full.credits_added) == ("credited", STARTER_CREDITS)
    purchase = await shop.purchase(bought.purchase_id)
    assert (purchase.status, purchase.review_reason) == (PurchaseStatus.PAID, None)


async def test_tax_on_top_of_the_price_credits_and_refund_shares_use_what_was_paid(
    shop: Shop,
) -> None:
    bought = await shop.buy()
    taxed = await shop.deliver(
        event_id="evt-taxed",
        kind="paid",
        purchase_id=bought.purchase_id,
        payment_id="pay-1",
        amount="10.80",
        currency="USD",
    )
    assert taxed.outcome == "credited"
    half = await shop.refunded(bought.purchase_id, "5.40", event_id="evt-half")
    assert half.credits_clawed_back == STARTER_CREDITS // 2


async def test_an_underpaid_notice_flags_the_purchase_for_an_admin(shop: Shop) -> None:
    bought = await shop.buy()
    result = await shop.deliver(
        event_id="evt-under",
        kind="underpaid",
        purchase_id=bought.purchase_id,
        payment_id="pay-1",
    )
    assert result.outcome == "flagged"
    assert (await shop.purchase(bought.purchase_id)).status is PurchaseStatus.NEEDS_REVIEW
    assert (await shop.balance()).balance == 0


async def test_a_payment_for_another_variant_than_the_pack_is_flagged() -> None:
    shop = Shop()
    await shop.add_user()
    prices = default_price_table()
    packs = [attrs.evolve(p, lemonsqueezy_variant_id="111") for p in prices.packs]
    shop.notices = HandlePaymentNotice(
        shop.db.unit_of_work, {FAKE: shop.provider}, shop.clock, prices.with_packs(packs)
    )
    bought = await shop.buy()
    fields = {
        "kind": "paid",
        "purchase_id": bought.purchase_id,
        "payment_id": "pay-1",
        "amount": "9.00",
        "currency": "USD",
    }
    wrong = await shop.deliver(event_id="evt-v1", variant_id="222", **fields)
    assert (wrong.outcome, wrong.detail) == (
        "flagged",
        "paid for variant 222, the pack is variant 111",
    )
    right = await shop.deliver(event_id="evt-v2", variant_id="111", **fields)
    assert right.outcome == "credited"


async def test_an_ignored_event_is_recorded_once_and_moves_no_credits(shop: Shop) -> None:
    bought = await shop.buy()
    fields = {
        "event_id": "evt-pending",
        "kind": "ignored",
        "purchase_id": bought.purchase_id,
        "payment_id": "pay-1",
    }
    first = await shop.deliver(**fields)
    again = await shop.deliver(**fields)
    assert (first.outcome, again.outcome) == ("ignored", "duplicate")
    assert len(shop.db.tables.webhook_events) == 1
    assert shop.db.tables.entries == []


# ------------------------------------------------------------------------------ refunds


async def test_a_partial_refund_claws_back_the_proportional_credits_once(shop: Shop) -> None:
    bought = await shop.buy()
    await shop.paid(bought.purchase_id)
    first = await shop.refunded(bought.purchase_id, "3.00", event_id="evt-r1")
    again = await shop.refunded(bought.purchase_id, "3.00", event_id="evt-r1")
    same_total = await shop.refunded(bought.purchase_id, "3.00", event_id="evt-r2")
    assert first == HandlePaymentNoticeResult(
        NoticeOutcome.REFUNDED, bought.purchase_id, credits_clawed_back=33
    )
    assert (again.outcome, same_total.outcome) == ("duplicate", "duplicate")
    assert await shop.entries(EntryType.REFUND) == [-33]
    assert (await shop.balance()).balance == STARTER_CREDITS - 33
    purchase = await shop.purchase(bought.purchase_id)
    assert (purchase.status, purchase.refunded_credits) == (
        PurchaseStatus.PARTIALLY_REFUNDED,
        33,
    )


async def test_a_later_refund_claws_back_only_the_rest(shop: Shop) -> None:
    bought = await shop.buy()
    await shop.paid(bought.purchase_id)
    await shop.refunded(bought.purchase_id, "4.50", event_id="evt-r1")
    rest = await shop.refunded(None, "9.00", event_id="evt-r2")  # found by its payment id
    assert (rest.outcome, rest.purchase_id, rest.credits_clawed_back) == (
        "refunded",
        bought.purchase_id,
        50,
    )
    assert await shop.entries(EntryType.REFUND) == [-50, -50]
    assert (await shop.purchase(bought.purchase_id)).status is PurchaseStatus.REFUNDED
    assert (await shop.balance()).balance == 0


async def test_a_refund_beyond_what_is_available_records_debt_that_blocks_new_holds(
    shop: Shop,
) -> None:
    bought = await shop.buy()
    await shop.paid(bought.purchase_id)
    now = shop.clock.now()
    async with shop.db.unit_of_work() as uow:
        await uow.ledger.hold(USER, 80, key="work", now=now, expires_at=now + timedelta(hours=1))
        await uow.commit()
    result = await shop.refunded(bought.purchase_id, "9.00", event_id="evt-r1")
    assert result.credits_clawed_back == STARTER_CREDITS
    balance = await shop.balance()
    assert (balance.balance, balance.reserved, balance.debt) == (80, 80, 80)
    assert balance.available == 0
    async with shop.db.unit_of_work() as uow:
        with pytest.raises(AccountInDebt):
            await uow.ledger.hold(USER, 1, key="more", now=now, expires_at=now + timedelta(1))


async def test_a_refund_before_its_payment_is_stored_and_applied_with_the_payment(
    shop: Shop,
) -> None:
    bought = await shop.buy()
    early = await shop.refunded(bought.purchase_id, "4.50", event_id="evt-r1")
    assert early.outcome == "deferred"
    assert shop.db.tables.entries == []
    assert (await shop.purchase(bought.purchase_id)).pending_refund == Money("4.50", "USD")
    paid = await shop.paid(bought.purchase_id)
    assert (paid.outcome, paid.credits_added, paid.credits_clawed_back) == (
        "credited",
        STARTER_CREDITS,
        50,
    )
    redelivered = await shop.refunded(bought.purchase_id, "4.50", event_id="evt-r1")
    assert redelivered.outcome == "duplicate"
    assert (await shop.balance()).balance == STARTER_CREDITS - 50
    purchase = await shop.purchase(bought.purchase_id)
    assert (purchase.pending_refund, purchase.refunded_credits) == (None, 50)


# ------------------------------------------------------------------------------ L9 property


def _clawed_back(totals: list[int]) -> int:
    """Credits a pack of STARTER_CREDITS loses once refunds reached the largest total (cents)."""
    if not totals:
        return 0
    return STARTER_CREDITS * min(max(totals), STARTER_CENTS) // STARTER_CENTS


async def _deliver_in_order(order: list[tuple[str, str, int | None]]) -> None:
    shop = Shop()
    await shop.add_user()
    bought = await shop.buy()
    credited = clawed = 0
    for event_id, kind, cents in order:  # each delivered once, however often it repeats
        if kind == "paid":
            result = await shop.paid(bought.purchase_id, event_id=event_id)
        else:
            total = str(Decimal(cents or 0) / 100)
            result = await shop.refunded(bought.purchase_id, total, event_id=event_id)
        credited += result.credits_added
        clawed += result.credits_clawed_back
    expected_back = _clawed_back([cents for _, kind, cents in order if cents is not None])
    assert (credited, clawed) == (STARTER_CREDITS, expected_back)
    assert await shop.entries(EntryType.PURCHASE) == [STARTER_CREDITS]
    assert sum(await shop.entries(EntryType.REFUND)) == -expected_back
    balance = await shop.balance()
    assert (balance.balance, balance.debt) == (STARTER_CREDITS - expected_back, 0)
    assert (await shop.purchase(bought.purchase_id)).refunded_credits == expected_back


@given(
    paid_event_ids=st.integers(min_value=1, max_value=2),
    paid_copies=st.integers(min_value=1, max_value=3),
    refund_totals=st.lists(st.integers(min_value=1, max_value=1200), max_size=4),
    refund_copies=st.integers(min_value=1, max_value=2),
    data=st.data(),
)
def test_any_order_of_deliveries_credits_once_and_claws_back_exactly_the_refunds(
    paid_event_ids: int,
    paid_copies: int,
    refund_totals: list[int],
    refund_copies: int,
    data: st.DataObject,
) -> None:
    deliveries: list[tuple[str, str, int | None]] = [
        (f"evt-paid-{n}", "paid", None) for n in range(paid_event_ids) for _ in range(paid_copies)
    ]
    deliveries += [
        (f"evt-refund-{n}", "refunded", cents)
        for n, cents in enumerate(refund_totals)
        for _ in range(refund_copies)
    ]
    order = data.draw(st.permutations(deliveries))
    asyncio.run(_deliver_in_order(list(order)))


# ------------------------------------------------------------------------------ reconcile


async def _reconcile(shop: Shop) -> dict[str, tuple[str, ...]]:
    from afp_core.usecases import ReconcilePayments, ReconcilePaymentsCommand

    report = await ReconcilePayments(shop.db.unit_of_work, {FAKE: shop.provider}).execute(
        ReconcilePaymentsCommand()
    )
    return {d.purchase_id: d.problems for d in report.discrepancies}


async def test_reconcile_lists_only_purchases_where_provider_and_ledger_disagree(
    shop: Shop,
) -> None:
    from afp_core.domain.payments import ProviderPayment, ProviderPaymentState

    settled = await shop.buy()
    await shop.paid(settled.purchase_id)
    shop.provider.set_record(
        settled.purchase_id,
        ProviderPayment(ProviderPaymentState.PAID, "pay-1", Money("9.00", "USD")),
    )
    abandoned = await shop.buy()  # pending here, unknown there: not a discrepancy
    lost = await shop.buy()  # the provider took the money, the webhook never came
    shop.provider.set_record(lost.purchase_id, ProviderPayment(ProviderPaymentState.PAID, "pay-9"))
    refunded = await shop.buy()  # refunded at the provider, never clawed back here
    await shop.paid(refunded.purchase_id, event_id="evt-r", payment_id="pay-r")
    shop.provider.set_record(
        refunded.purchase_id,
        ProviderPayment(
            ProviderPaymentState.PARTIALLY_REFUNDED,
            "pay-r",
            Money("9.00", "USD"),
            Money("4.50", "USD"),
        ),
    )
    flagged = await shop.buy()
    await shop.deliver(
        event_id="evt-f", kind="underpaid", purchase_id=flagged.purchase_id, payment_id="pay-f"
    )
    found = await _reconcile(shop)
    assert set(found) == {lost.purchase_id, refunded.purchase_id, flagged.purchase_id}
    assert abandoned.purchase_id not in found and settled.purchase_id not in found
    assert "nothing was credited here" in found[lost.purchase_id][0]
    assert "(50 credits), 0 clawed back here" in found[refunded.purchase_id][0]
    assert found[flagged.purchase_id][0].startswith("needs review:")
