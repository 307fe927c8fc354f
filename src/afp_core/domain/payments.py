"""Purchases of credit packs and the normalised payment notices that settle them.

A payment adapter turns a *verified* webhook into a `PaymentNotice`. A purchase is credited
exactly once per provider payment id, and each refund claws back exactly once.
"""

from __future__ import annotations

import enum
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


class NoticeKind(enum.StrEnum):
    PAID = "paid"
    REFUNDED = "refunded"  # full or partial; `refunded_total` says how much in all
    IGNORED = "ignored"  # a verified event we do not act on (pending, cancelled...)


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

    def mark_paid(self, payment_id: str) -> bool:
        """True the first time; False if already paid (a repeated delivery)."""
        if self.status is not PurchaseStatus.PENDING:
            return False
        self.status = PurchaseStatus.PAID
        self.payment_id = payment_id
        return True

    def refund_to(self, refunded_total: Money | None) -> int:
        """Credits to claw back now so that refunds total the refunded share of the purchase."""
        if self.status is PurchaseStatus.PENDING:
            raise IllegalTransition(f"purchase {self.id} was never paid")
        if refunded_total is not None and refunded_total.currency != self.price.currency:
            raise ValidationFailed(
                f"refund in {refunded_total.currency} for a purchase in {self.price.currency}"
            )
        if refunded_total is None or refunded_total.amount >= self.price.amount:
            target = self.credits
        else:
            share = refunded_total.amount / self.price.amount
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
    "Purchase",
    "PurchaseStatus",
]
