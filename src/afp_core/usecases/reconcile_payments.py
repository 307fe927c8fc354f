"""ReconcilePayments: purchases whose provider state and ledger state disagree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

import attrs

from afp_core.domain.errors import DomainError
from afp_core.domain.ids import PurchaseId, UserId
from afp_core.domain.ledger import EntryType, LedgerEntry
from afp_core.domain.payments import (
    PaymentProviderName,
    ProviderPayment,
    ProviderPaymentState,
    Purchase,
    PurchaseStatus,
)
from afp_core.ports.commerce import PaymentProvider
from afp_core.ports.unit_of_work import UnitOfWorkFactory

_MONEY_MOVED = (
    ProviderPaymentState.PAID,
    ProviderPaymentState.PARTIALLY_REFUNDED,
    ProviderPaymentState.REFUNDED,
)


@attrs.frozen
class PurchaseDiscrepancy:
    purchase_id: PurchaseId
    user_id: UserId
    provider: PaymentProviderName
    pack_id: str
    status: PurchaseStatus  # ours
    provider_state: ProviderPaymentState | None  # None: the provider could not be asked
    credits_granted: int  # by the ledger, for this purchase's payment
    credits_clawed_back: int
    problems: tuple[str, ...]


@attrs.frozen
class ReconcileReport:
    checked: int
    discrepancies: tuple[PurchaseDiscrepancy, ...]


@attrs.frozen
class ReconcilePaymentsCommand:
    since: datetime | None = None
    limit: int = 1000


class ReconcilePayments:
    """Compare every purchase (newest first, since a date) with the provider's own record and
    with the ledger, and list those that disagree, with every reason found:

    - the provider took the money but we credited nothing (a lost webhook), or we credited a
      purchase the provider does not show as paid;
    - the ledger's credit or clawback for the purchase differs from what the purchase says;
    - the provider refunded more than we clawed back (or the reverse);
    - the purchase waits for an admin (paid the wrong amount, variant or currency), or holds a
      refund that arrived before a payment that never came.

    Abandoned checkouts (pending here, nothing paid there) are not discrepancies. It reads
    only: nothing is credited or changed; an admin settles what it lists with
    `afp admin grant` or the provider's dashboard. The provider is asked outside any unit of
    work.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, payments: Mapping[PaymentProviderName, PaymentProvider]
    ) -> None:
        self._uow = uow
        self._payments = payments

    async def execute(self, command: ReconcilePaymentsCommand) -> ReconcileReport:
        async with self._uow(read_only=True) as uow:
            purchases = await uow.purchases.list_all(since=command.since, limit=command.limit)
            buyers = {p.user_id for p in purchases}  # each journal read once
            journals = {user: await uow.ledger.all_entries(user) for user in buyers}
        found = []
        for purchase in purchases:
            provider = self._payments.get(purchase.provider)
            record: ProviderPayment | None
            problems: list[str] = []
            if provider is None:
                record = None
                problems.append(f"{purchase.provider.value} is not configured here")
            else:
                try:
                    record = await provider.lookup(purchase)
                except DomainError as exc:
                    record = None
                    problems.append(f"could not ask {purchase.provider.value}: {exc.message}")
            granted, clawed = _ledger_for(purchase, journals[purchase.user_id])
            problems += _problems(purchase, record, granted, clawed)
            if problems:
                found.append(
                    PurchaseDiscrepancy(
                        purchase_id=purchase.id,
                        user_id=purchase.user_id,
                        provider=purchase.provider,
                        pack_id=purchase.pack_id,
                        status=purchase.status,
                        provider_state=record.state if record is not None else None,
                        credits_granted=granted,
                        credits_clawed_back=clawed,
                        problems=tuple(problems),
                    )
                )
        return ReconcileReport(len(purchases), tuple(found))


def _ledger_for(purchase: Purchase, entries: Sequence[LedgerEntry]) -> tuple[int, int]:
    if purchase.payment_id is None:
        return 0, 0
    mine = [
        e
        for e in entries
        if e.payment_id == purchase.payment_id and e.provider == purchase.provider.value
    ]
    granted = sum(e.amount for e in mine if e.type is EntryType.PURCHASE)
    clawed = -sum(e.amount for e in mine if e.type is EntryType.REFUND)
    return granted, clawed


def _problems(
    purchase: Purchase, record: ProviderPayment | None, granted: int, clawed: int
) -> list[str]:
    problems = []
    paid_here = purchase.is_paid
    if paid_here and granted != purchase.credits:
        problems.append(f"paid here, but the ledger credited {granted} of {purchase.credits}")
    if not paid_here and granted:
        problems.append(f"not paid here, but the ledger credited {granted}")
    if clawed != purchase.refunded_credits:
        problems.append(
            f"the ledger clawed back {clawed}, the purchase says {purchase.refunded_credits}"
        )
    if purchase.status is PurchaseStatus.NEEDS_REVIEW:
        problems.append(f"needs review: {purchase.review_reason or 'no reason recorded'}")
    if purchase.pending_refund is not None and not paid_here:
        problems.append(f"a refund of {purchase.pending_refund} arrived for an unpaid purchase")
    if record is None:
        return problems
    moved = record.state in _MONEY_MOVED
    if moved and not paid_here and purchase.status is not PurchaseStatus.NEEDS_REVIEW:
        problems.append(
            f"{purchase.provider.value} says {record.state.value} (payment"
            f" {record.payment_id or '?'}), but nothing was credited here: a lost webhook?"
        )
    if paid_here and not moved:
        problems.append(f"credited here, but {purchase.provider.value} says {record.state.value}")
    if record.state is ProviderPaymentState.UNDERPAID and paid_here:
        problems.append(f"credited here, but {purchase.provider.value} says underpaid")
    if paid_here and moved:
        expected = _expected_clawback(purchase, record)
        if expected != purchase.refunded_credits:
            problems.append(
                f"{purchase.provider.value} refunded {record.refunded_total or 'in full'}"
                f" ({expected} credits), {purchase.refunded_credits} clawed back here"
            )
    return problems


def _expected_clawback(purchase: Purchase, record: ProviderPayment) -> int:
    if record.state is ProviderPaymentState.PAID:
        return 0
    if record.state is ProviderPaymentState.REFUNDED and record.refunded_total is None:
        return purchase.credits
    total = record.refunded_total
    base = purchase.paid_amount or purchase.price
    if total is None or total.currency != base.currency:
        return purchase.refunded_credits  # nothing comparable: trust our own figure
    if total.amount >= base.amount:
        return purchase.credits
    share = Decimal(purchase.credits) * total.amount / base.amount
    return int(share.to_integral_value(ROUND_FLOOR))


__all__ = [
    "PurchaseDiscrepancy",
    "ReconcilePayments",
    "ReconcilePaymentsCommand",
    "ReconcileReport",
]
