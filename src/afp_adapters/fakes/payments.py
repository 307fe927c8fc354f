"""`FakePayments`: a payment provider whose webhooks are really signed and really verified."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal

from afp_core.domain.errors import InvalidSignature, ValidationFailed
from afp_core.domain.ids import PurchaseId
from afp_core.domain.money import Money
from afp_core.domain.payments import (
    Checkout,
    NoticeKind,
    PaymentNotice,
    PaymentProviderName,
    ProviderPayment,
    ProviderPaymentState,
    Purchase,
)
from afp_core.domain.pricing import CreditPack

SIGNATURE_HEADER = "x-fake-signature"


class FakePayments:
    """Implements `PaymentProvider`.

    Webhook bodies are JSON `{event_id, kind, purchase_id, payment_id, amount, currency,
    refunded_total, variant_id}` signed with HMAC-SHA256 (hex) of the raw body in
    `x-fake-signature`. Verification is never skipped: with no secret every webhook is refused.
    The provider's own record of each purchase (what `lookup` answers) follows the webhooks it
    signs, or `set_record` in tests.
    """

    name = PaymentProviderName.FAKE

    def __init__(self, webhook_secret: str | None, base_url: str = "https://pay.fake.invalid"):
        self._secret = webhook_secret
        self._base_url = base_url
        self.checkouts: list[tuple[Purchase, CreditPack]] = []
        self.records: dict[str, ProviderPayment] = {}

    async def create_checkout(
        self, purchase: Purchase, pack: CreditPack, *, email: str, redirect_url: str | None
    ) -> Checkout:
        self.checkouts.append((purchase, pack))
        return Checkout(f"{self._base_url}/checkout/{purchase.id}", provider_ref=purchase.id)

    def sign(self, body: bytes) -> str:
        if self._secret is None:
            raise ValueError("no webhook secret configured")
        return hmac.new(self._secret.encode(), body, hashlib.sha256).hexdigest()

    def webhook(self, **fields: object) -> tuple[bytes, dict[str, str]]:
        """A signed webhook delivery, for tests and the demo."""
        body = json.dumps(fields, sort_keys=True).encode()
        self._remember(fields)
        return body, {SIGNATURE_HEADER: self.sign(body)}

    def set_record(self, purchase_id: str, record: ProviderPayment) -> None:
        self.records[purchase_id] = record

    def _remember(self, fields: Mapping[str, object]) -> None:
        purchase_id = fields.get("purchase_id")
        if not isinstance(purchase_id, str):
            return
        currency = str(fields.get("currency", "USD"))
        kind = fields.get("kind")
        payment_id = str(fields.get("payment_id", "")) or None
        known = self.records.get(purchase_id)
        if kind == NoticeKind.PAID.value:
            amount = fields.get("amount")
            self.records[purchase_id] = ProviderPayment(
                ProviderPaymentState.PAID,
                payment_id,
                Money(Decimal(str(amount)), currency) if amount is not None else None,
            )
        elif kind == NoticeKind.REFUNDED.value and known is not None:
            refunded = fields.get("refunded_total")
            total = Money(Decimal(str(refunded)), currency) if refunded is not None else None
            full = total is None or (
                known.amount is not None and total.amount >= known.amount.amount
            )
            self.records[purchase_id] = ProviderPayment(
                ProviderPaymentState.REFUNDED if full else ProviderPaymentState.PARTIALLY_REFUNDED,
                known.payment_id,
                known.amount,
                total,
            )

    async def confirm(self, notice: PaymentNotice) -> PaymentNotice:
        return notice  # its webhooks are signed and authoritative

    async def lookup(self, purchase: Purchase) -> ProviderPayment:
        return self.records.get(purchase.id, ProviderPayment(ProviderPaymentState.NOT_FOUND))

    def parse_notice(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        if self._secret is None:
            raise InvalidSignature("no webhook secret is configured for the fake provider")
        given = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(self.sign(body), given):
            raise InvalidSignature("webhook signature does not match the body")
        try:
            data = json.loads(body)
            currency = str(data.get("currency", "USD"))
            amount = data.get("amount")
            refunded = data.get("refunded_total")
            return PaymentNotice(
                provider=self.name,
                event_id=str(data["event_id"]),
                kind=NoticeKind(data["kind"]),
                purchase_id=PurchaseId(data["purchase_id"]) if data.get("purchase_id") else None,
                payment_id=str(data["payment_id"]),
                amount=Money(Decimal(str(amount)), currency) if amount is not None else None,
                refunded_total=(
                    Money(Decimal(str(refunded)), currency) if refunded is not None else None
                ),
                variant_id=str(data["variant_id"]) if data.get("variant_id") else None,
                event_name=str(data.get("kind", "")),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ValidationFailed(f"malformed fake webhook: {exc}") from exc
