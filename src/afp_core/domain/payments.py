"""Purchases of credit packs and the normalised payment notices that settle them.

A payment adapter turns a *verified* webhook into a `PaymentNotice`. A purchase is credited
exactly once per provider payment id, and each refund claws back exactly once.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

import attrs

from afp_core.domain.errors import IllegalTransition, ValidationFailed
from afp_core.domain.ids import PurchaseId, UserId
from afp_core.domain.money import Money


class PaymentProviderName(enum.StrEnum):
    LEMONSQUEEZY = "lemonsqueezy"
    CRYPTOMUS = "cryptomus"
    FAKE = "fake"


class PurchaseStatus(enum.StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    NEEDS_REVIEW = "NEEDS_REVIEW"  # money arrived but not as expected: an admin decides


class NoticeKind(enum.StrEnum):
    PAID = "paid"
    REFUNDED = "refunded"  # full or partial; `refunded_total` says how much in all
    UNDERPAID = "underpaid"  # final, but less than asked: flag the purchase for an admin
    IGNORED = "ignored"  # a verified event we do not act on (pending, cancelled, test mode...)


@attrs.frozen
class PaymentNotice:
    """What a verified webhook means, in provider-neutral terms."""

    provider: PaymentProviderName
    event_id: str  # unique per delivery *kind*; repeated deliveries share it
    kind: NoticeKind
    purchase_id: PurchaseId | None
    payment_id: str
    amount: Money | None = None
    refunded_total: Money | None = None  # cumulative refunded amount for REFUNDED
    detail: str = ""
    variant_id: str | None = None  # the product variant paid for, where the provider has one
    event_name: str = ""  # the provider's name for the event, for the stored delivery


class ProviderPaymentState(enum.StrEnum):
    """What the provider says about a purchase's money, for reconciliation."""

    NOT_FOUND = "not_found"  # the provider knows no payment for it (checkout never completed)
    PENDING = "pending"  # started, not paid yet
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    UNDERPAID = "underpaid"
    FAILED = "failed"  # cancelled, expired, failed: no money


@attrs.frozen
class ProviderPayment:
    """The provider's own record of a purchase's payment, read for reconciliation."""

    state: ProviderPaymentState
    payment_id: str | None = None
    amount: Money | None = None
    refunded_total: Money | None = None
    detail: str = ""


@attrs.frozen
class WebhookDelivery:
    """A verified webhook as received: stored raw, once per `(provider, event_id)`."""

    provider: str
    event_id: str
    received_at: datetime
    body: bytes = attrs.field(repr=False)
    event_name: str = ""
    kind: str = ""
    purchase_id: str | None = None
    outcome: str | None = None

    @property
    def body_sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@attrs.frozen
class Checkout:
    checkout_url: str
    provider_ref: str = ""


@attrs.define
class Purchase:
    id: PurchaseId
    user_id: UserId
    pack_id: str
    credits: int
    price: Money
    provider: PaymentProviderName
    created_at: datetime
    status: PurchaseStatus = PurchaseStatus.PENDING
    payment_id: str | None = None
    checkout_url: str | None = None
    refunded_credits: int = 0
    review_reason: str | None = None
    # the highest cumulative refund heard of before the payment itself (deliveries out of
    # order); applied the moment the payment is credited
    pending_refund: Money | None = None
    paid_amount: Money | None = None  # what the buyer paid, when the provider said

    @property
    def is_paid(self) -> bool:
        return self.status in (
            PurchaseStatus.PAID,
            PurchaseStatus.PARTIALLY_REFUNDED,
            PurchaseStatus.REFUNDED,
        )

    def mark_paid(self, payment_id: str, amount: Money | None = None) -> bool:
        """True the first time; False if already paid (a repeated delivery). A purchase under
        review can still be paid in full (an underpaid invoice topped up later). `amount` is
        what the buyer paid (tax included), the base for refund shares."""
        if self.is_paid:
            return False
        self.status = PurchaseStatus.PAID
        self.payment_id = payment_id
        self.review_reason = None
        if amount is not None and amount.currency == self.price.currency:
            self.paid_amount = amount
        return True

    def payment_mismatch(self, amount: Money | None) -> str | None:
        """Why a payment of `amount` cannot credit this purchase, or None when it can: another
        currency, or less than the price (tax on top is fine; a discount goes to review)."""
        if amount is None:
            return None
        if amount.currency != self.price.currency:
            return f"paid in {amount.currency}, the pack is priced in {self.price.currency}"
        if amount.amount < self.price.amount:
            return f"paid {amount}, the pack costs {self.price}"
        return None

    def flag(self, reason: str, payment_id: str | None = None) -> bool:
        """Money arrived but not as expected: hold the purchase for an admin. False when it is
        already paid (the credits stand) or already flagged for the same reason."""
        if self.is_paid or (
            self.status is PurchaseStatus.NEEDS_REVIEW and self.review_reason == reason
        ):
            return False
        self.status = PurchaseStatus.NEEDS_REVIEW
        self.review_reason = reason
        if payment_id is not None and self.payment_id is None:
            self.payment_id = payment_id
        return True

    def defer_refund(self, refunded_total: Money | None) -> bool:
        """Remember a refund that arrived before the payment; True when it raised the level."""
        if self.is_paid:
            raise IllegalTransition(f"purchase {self.id} is paid: apply the refund instead")
        level = (self.paid_amount or self.price) if refunded_total is None else refunded_total
        if level.currency != self.price.currency:
            raise ValidationFailed(
                f"refund in {level.currency} for a purchase in {self.price.currency}"
            )
        if self.pending_refund is not None and self.pending_refund.amount >= level.amount:
            return False
        self.pending_refund = level
        return True

    def refund_to(self, refunded_total: Money | None) -> int:
        """Credits to claw back now so that refunds total the refunded share of the purchase."""
        if not self.is_paid:
            raise IllegalTransition(f"purchase {self.id} was never paid")
        if refunded_total is not None and refunded_total.currency != self.price.currency:
            raise ValidationFailed(
                f"refund in {refunded_total.currency} for a purchase in {self.price.currency}"
            )
        base = self.paid_amount or self.price
        if refunded_total is None or refunded_total.amount >= base.amount:
            target = self.credits
        else:
            share = refunded_total.amount / base.amount
            target = int((Decimal(self.credits) * share).to_integral_value(ROUND_FLOOR))
        target = max(0, min(self.credits, target))
        delta = target - self.refunded_credits
        if delta <= 0:
            return 0
        self.refunded_credits = target
        self.status = (
            PurchaseStatus.REFUNDED if target == self.credits else PurchaseStatus.PARTIALLY_REFUNDED
        )
        return delta


__all__ = [
    "Checkout",
    "NoticeKind",
    "PaymentNotice",
    "PaymentProviderName",
    "ProviderPayment",
    "ProviderPaymentState",
    "Purchase",
    "PurchaseStatus",
    "WebhookDelivery",
]
