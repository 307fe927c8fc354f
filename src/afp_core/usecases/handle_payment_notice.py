"""HandlePaymentNotice: apply a verified payment webhook to its purchase and the ledger, once."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from afp_core.domain.errors import InvalidSignature
from afp_core.domain.events import CreditsClawedBack, CreditsGranted
from afp_core.domain.ids import PurchaseId
from afp_core.domain.ledger import EntryType
from afp_core.domain.money import Money
from afp_core.domain.payments import (
    NoticeKind,
    PaymentNotice,
    PaymentProviderName,
    Purchase,
    WebhookDelivery,
)
from afp_core.domain.pricing import PriceTable
from afp_core.ports.commerce import PaymentProvider
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


class NoticeOutcome(enum.StrEnum):
    CREDITED = "credited"  # a payment added the pack's credits
    REFUNDED = "refunded"  # a refund clawed credits back
    DUPLICATE = "duplicate"  # seen before, or nothing left to do: nothing changed
    IGNORED = "ignored"  # a verified event we do not act on (stored all the same)
    DEFERRED = "deferred"  # a refund before its payment: stored, applied when the payment lands
    FLAGGED = "flagged"  # money arrived but not as expected: the purchase waits for an admin
    UNMATCHED = "unmatched"  # names no purchase of ours: stored for reconciliation


@attrs.frozen
class HandlePaymentNoticeCommand:
    provider: PaymentProviderName
    body: bytes = attrs.field(repr=False)
    headers: Mapping[str, str] = attrs.field(repr=False)


@attrs.frozen
class HandlePaymentNoticeResult:
    outcome: NoticeOutcome
    purchase_id: PurchaseId | None
    credits_added: int = 0
    credits_clawed_back: int = 0
    detail: str = ""


class HandlePaymentNotice:
    """Verify a payment webhook and settle its purchase exactly once (invariant L9).

    The provider adapter checks the signature on the raw bytes (`InvalidSignature` otherwise; a
    provider that is not configured refuses every webhook) and, where signed webhooks are not
    proof enough, confirms the notice with the provider's API (outside any unit of work). Then,
    in one unit of work that locks the purchase row: the delivery is stored raw under its
    provider event id (a repeat is a `duplicate`, stores nothing and changes nothing) and
    applied in the same transaction:

    - a payment of the expected currency and at least the price (variant too, where the pack
      names one) marks the purchase paid and credits the pack under a ledger key per provider
      payment id, so a second event for the same payment credits nothing; a refund stored
      before it is applied right after;
    - a payment that does not match, or an underpaid one, flags the purchase for an admin;
    - a refund claws back the refunded share of the credits under a key per refunded level
      (cumulative totals, so the order of partial refunds does not matter); what the user no
      longer has becomes recorded debt that blocks new holds (L1);
    - a refund of a purchase not yet paid is remembered on the purchase (`deferred`);
    - a notice naming no purchase of ours is stored as `unmatched`; anything else verified is
      stored as `ignored`.
    Every outcome but a bad signature or a malformed body is answered 200 by the HTTP layer.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        payments: Mapping[PaymentProviderName, PaymentProvider],
        clock: Clock,
        prices: PriceTable | None = None,
    ) -> None:
        self._uow = uow
        self._payments = payments
        self._clock = clock
        self._prices = prices

    async def execute(self, command: HandlePaymentNoticeCommand) -> HandlePaymentNoticeResult:
        provider = self._payments.get(command.provider)
        if provider is None:
            raise InvalidSignature(
                f"webhooks from {command.provider.value} are refused: it is not configured"
            )
        notice = provider.parse_notice(command.body, command.headers)
        if notice.provider is not command.provider:
            raise InvalidSignature(
                f"a {notice.provider.value} notice arrived on the {command.provider.value} hook"
            )
        if notice.kind is not NoticeKind.IGNORED:
            notice = await provider.confirm(notice)
        now = self._clock.now()
        async with self._uow() as uow:
            purchase = None
            if notice.kind is not NoticeKind.IGNORED:
                purchase = await _find_purchase(uow, notice)
            known = purchase.id if purchase is not None else notice.purchase_id
            delivery = WebhookDelivery(
                provider=notice.provider.value,
                event_id=notice.event_id,
                received_at=now,
                body=command.body,
                event_name=notice.event_name,
                kind=notice.kind.value,
                purchase_id=known,
            )
            if not await uow.webhooks.record(delivery):
                return HandlePaymentNoticeResult(NoticeOutcome.DUPLICATE, known)
            result = await self._apply(uow, notice, purchase, now)
            await uow.webhooks.set_outcome(
                delivery.provider, delivery.event_id, result.outcome.value
            )
            await uow.commit()
        return result

    async def _apply(
        self, uow: UnitOfWork, notice: PaymentNotice, purchase: Purchase | None, now: datetime
    ) -> HandlePaymentNoticeResult:
        if notice.kind is NoticeKind.IGNORED:
            return HandlePaymentNoticeResult(
                NoticeOutcome.IGNORED, notice.purchase_id, detail=notice.detail
            )
        if purchase is None:
            reference = notice.purchase_id or f"payment {notice.payment_id}"
            return HandlePaymentNoticeResult(
                NoticeOutcome.UNMATCHED, None, detail=f"no purchase matches {reference}"
            )
        if notice.kind is NoticeKind.PAID:
            mismatch = purchase.payment_mismatch(notice.amount) or self._variant_mismatch(
                purchase, notice
            )
            if mismatch is None:
                return await _credit(uow, purchase, notice, now)
            return await _flag(uow, purchase, notice, mismatch)
        if notice.kind is NoticeKind.UNDERPAID:
            return await _flag(
                uow, purchase, notice, notice.detail or "the buyer paid less than the price"
            )
        # REFUNDED
        if not purchase.is_paid:
            if not purchase.defer_refund(notice.refunded_total):
                return HandlePaymentNoticeResult(NoticeOutcome.DUPLICATE, purchase.id)
            await uow.purchases.save(purchase)
            return HandlePaymentNoticeResult(
                NoticeOutcome.DEFERRED,
                purchase.id,
                detail="refund stored; it is applied when the payment arrives",
            )
        return await _claw_back(uow, purchase, notice, now)

    def _variant_mismatch(self, purchase: Purchase, notice: PaymentNotice) -> str | None:
        if notice.variant_id is None or self._prices is None:
            return None
        pack = next((p for p in self._prices.packs if p.id == purchase.pack_id), None)
        expected = pack.lemonsqueezy_variant_id if pack is not None else None
        if expected is None or str(expected) == notice.variant_id:
            return None
        return f"paid for variant {notice.variant_id}, the pack is variant {expected}"


async def _find_purchase(uow: UnitOfWork, notice: PaymentNotice) -> Purchase | None:
    """The purchase the notice settles, locked: by our id when it carries one, else by the
    provider's payment id. None when it names no purchase of this provider."""
    purchase = None
    if notice.purchase_id is not None:
        purchase = await uow.purchases.get(notice.purchase_id, lock=True)
    if purchase is None and notice.payment_id:
        purchase = await uow.purchases.by_payment_id(notice.provider, notice.payment_id, lock=True)
    if purchase is None or purchase.provider is not notice.provider:
        return None
    return purchase


async def _flag(
    uow: UnitOfWork, purchase: Purchase, notice: PaymentNotice, reason: str
) -> HandlePaymentNoticeResult:
    if not purchase.flag(reason, notice.payment_id or None):
        outcome = NoticeOutcome.DUPLICATE
    else:
        await uow.purchases.save(purchase)
        outcome = NoticeOutcome.FLAGGED
    return HandlePaymentNoticeResult(outcome, purchase.id, detail=reason)


async def _credit(
    uow: UnitOfWork, purchase: Purchase, notice: PaymentNotice, now: datetime
) -> HandlePaymentNoticeResult:
    if not purchase.mark_paid(notice.payment_id, notice.amount):
        return HandlePaymentNoticeResult(NoticeOutcome.DUPLICATE, purchase.id)
    await uow.ledger.credit(
        purchase.user_id,
        purchase.credits,
        EntryType.PURCHASE,
        key=f"purchase:{notice.provider.value}:{notice.payment_id}",
        now=now,
        reason=f"credit pack {purchase.pack_id}",
        provider=notice.provider.value,
        payment_id=notice.payment_id,
    )
    uow.events.record(CreditsGranted(now, purchase.user_id, purchase.credits, "purchase"))
    clawed = 0
    if purchase.pending_refund is not None:  # a refund that arrived first
        pending, purchase.pending_refund = purchase.pending_refund, None
        clawed = await _take_back(uow, purchase, pending, notice.provider, now)
    await uow.purchases.save(purchase)
    return HandlePaymentNoticeResult(
        NoticeOutcome.CREDITED,
        purchase.id,
        credits_added=purchase.credits,
        credits_clawed_back=clawed,
    )


async def _claw_back(
    uow: UnitOfWork, purchase: Purchase, notice: PaymentNotice, now: datetime
) -> HandlePaymentNoticeResult:
    delta = await _take_back(uow, purchase, notice.refunded_total, notice.provider, now)
    if delta <= 0:  # an earlier refund event already reached this total
        return HandlePaymentNoticeResult(NoticeOutcome.DUPLICATE, purchase.id)
    await uow.purchases.save(purchase)
    return HandlePaymentNoticeResult(NoticeOutcome.REFUNDED, purchase.id, credits_clawed_back=delta)


async def _take_back(
    uow: UnitOfWork,
    purchase: Purchase,
    refunded_total: Money | None,
    provider: PaymentProviderName,
    now: datetime,
) -> int:
    delta = purchase.refund_to(refunded_total)
    if delta <= 0:
        return 0
    payment_id = purchase.payment_id or ""
    available = (await uow.ledger.balance(purchase.user_id)).available
    await uow.ledger.claw_back(
        purchase.user_id,
        delta,
        key=f"refund:{provider.value}:{payment_id}:{purchase.refunded_credits}",
        now=now,
        reason=f"refund of credit pack {purchase.pack_id}",
        provider=provider.value,
        payment_id=payment_id,
    )
    owed = max(0, delta - available)
    uow.events.record(CreditsClawedBack(now, purchase.user_id, delta, owed))
    return delta


__all__ = [
    "HandlePaymentNotice",
    "HandlePaymentNoticeCommand",
    "HandlePaymentNoticeResult",
    "NoticeOutcome",
]
