"""Checkout and payment webhook schemas."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from afp_core.usecases import CreateCheckoutResult, HandlePaymentNoticeResult
from afp_http.schemas._base import In, Out


class CheckoutIn(In):
    pack_id: str = Field(min_length=1, max_length=40, description="A pack id from `/pricing`")


class CheckoutOut(Out):
    checkout_url: str = Field(description="Send the buyer here; credits arrive by webhook")
    purchase_id: str
    credits: int
    price: Decimal
    currency: str

    @classmethod
    def of(cls, result: CreateCheckoutResult) -> CheckoutOut:
        return cls(
            checkout_url=result.checkout_url,
            purchase_id=result.purchase_id,
            credits=result.credits,
            price=result.price.amount,
            currency=result.price.currency,
        )


class NoticeAcceptedOut(Out):
    received: bool
    outcome: str = Field(
        description=(
            "`credited`, `refunded`, `duplicate`, `ignored`, `deferred` (a refund stored until"
            " its payment arrives), `flagged` (paid, but not as expected: an admin reviews it)"
            " or `unmatched` (names no purchase here; stored for reconciliation)"
        )
    )
    purchase_id: str | None
    credits_added: int
    credits_clawed_back: int
    detail: str = ""

    @classmethod
    def of(cls, result: HandlePaymentNoticeResult) -> NoticeAcceptedOut:
        return cls(
            received=True,
            outcome=result.outcome.value,
            purchase_id=result.purchase_id,
            credits_added=result.credits_added,
            credits_clawed_back=result.credits_clawed_back,
            detail=result.detail,
        )
