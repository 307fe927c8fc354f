"""HandlePaymentNotice: apply a verified payment webhook to its purchase and the ledger, once."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from afp_core.domain.errors import InvalidSignature, NotFound
from afp_core.domain.events import CreditsClawedBack, CreditsGranted
from afp_core.domain.ids import PurchaseId
from afp_core.domain.ledger import EntryType
from afp_core.domain.payments import (
    NoticeKind,
    PaymentNotice,
    PaymentProviderName,
    Purchase,
    PurchaseStatus,
)
from afp_core.ports.commerce import PaymentProvider
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


class NoticeOutcome(enum.StrEnum):
    CREDITED = "credited"  # a payment added the pack's credits
    REFUNDED = "refunded"  # a refund clawed credits back
    DUPLICATE = "duplicate"  # seen before, or nothing left to do: nothing changed
    IGNORED = "ignored"  # a verified event we do not act on
    DEFERRED = "deferred"  # arrived before the payment it refunds: redeliver it later


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


class HandlePaymentNotice:
    """Verify a payment webhook and settle its purchase exactly once (invariant L9).

    The provider adapter checks the signature on the raw bytes (`InvalidSignature` otherwise; a
    provider that is not configured refuses every webhook). Then, in one unit of work, the
    delivery is recorded by event id (a repeat is a `duplicate` and changes nothing) and applied:
    a payment credits the pack under a ledger key per provider payment id, so a second event for
    the same payment credits nothing; a refund claws back the refunded share of the credits under
    a key per refunded level, and what the user no longer has becomes recorded debt. A refund of a
    purchase not yet paid (deliveries out of order) is `deferred`: nothing is recorded, so the
    provider's redelivery applies it once the payment has arrived.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        payments: Mapping[PaymentProviderName, PaymentProvider],
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._payments = payments
        self._clock = clock

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
        now = self._clock.now()
        async with self._uow() as uow:
            refunded = None
            if notice.kind is NoticeKind.REFUNDED:
                refunded = await _find_purchase(uow, notice)
                if refunded.status is PurchaseStatus.PENDING:  # leave without recording
                    return HandlePaymentNoticeResult(NoticeOutcome.DEFERRED, refunded.id)
            if not await uow.webhooks.record(notice.provider.value, notice.event_id, now):
                known = refunded.id if refunded is not None else notice.purchase_id
                return HandlePaymentNoticeResult(NoticeOutcome.DUPLICATE, known)
            if notice.kind is NoticeKind.PAID:
                result = await _credit(uow, notice, now)
            elif refunded is not None:
                result = await _claw_back(uow, refunded, notice, now)
            else:
                result = HandlePaymentNoticeResult(NoticeOutcome.IGNORED, notice.purchase_id)
            await uow.commit()
        return result


async def _find_purchase(uow: UnitOfWork, notice: PaymentNotice) -> Purchase:
    """The purchase the notice settles: by our id when it carries one, else by payment id."""
    purchase = None
    if notice.purchase_id is not None:
        purchase = await uow.purchases.get(notice.purchase_id)
    if purchase is None:
        purchase = await uow.purchases.by_payment_id(notice.provider, notice.payment_id)
    if purchase is None or purchase.provider is not notice.provider:
        reference = notice.purchase_id or f"for payment {notice.payment_id}"
        raise NotFound(f"purchase {reference} not found")
    return purchase


async def _credit(
    uow: UnitOfWork, notice: PaymentNotice, now: datetime
) -> HandlePaymentNoticeResult:
    purchase = await _find_purchase(uow, notice)
    if not purchase.mark_paid(notice.payment_id):
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
    await uow.purchases.save(purchase)
    uow.events.record(CreditsGranted(now, purchase.user_id, purchase.credits, "purchase"))
    return HandlePaymentNoticeResult(
        NoticeOutcome.CREDITED, purchase.id, credits_added=purchase.credits
    )


async def _claw_back(
    uow: UnitOfWork, purchase: Purchase, notice: PaymentNotice, now: datetime
) -> HandlePaymentNoticeResult:
    delta = purchase.refund_to(notice.refunded_total)
    if delta <= 0:  # an earlier refund event already reached this total
        return HandlePaymentNoticeResult(NoticeOutcome.DUPLICATE, purchase.id)
    payment_id = purchase.payment_id or notice.payment_id
    available = (await uow.ledger.balance(purchase.user_id)).available
    await uow.ledger.claw_back(
        purchase.user_id,
        delta,
        key=f"refund:{notice.provider.value}:{payment_id}:{purchase.refunded_credits}",
        now=now,
        reason=f"refund of credit pack {purchase.pack_id}",
        provider=notice.provider.value,
        payment_id=payment_id,
    )
    await uow.purchases.save(purchase)
    owed = max(0, delta - available)
    uow.events.record(CreditsClawedBack(now, purchase.user_id, delta, owed))
    return HandlePaymentNoticeResult(NoticeOutcome.REFUNDED, purchase.id, credits_clawed_back=delta)


__all__ = [
    "HandlePaymentNotice",
    "HandlePaymentNoticeCommand",
    "HandlePaymentNoticeResult",
    "NoticeOutcome",
]
