"""`/me`, `/credits` and `/pricing` schemas."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from afp_core.domain.ledger import AccountBalance, LedgerEntry
from afp_core.domain.pricing import PriceTable
from afp_http.schemas._base import Out


class CreditsOut(Out):
    balance: int
    reserved: int = Field(description="Held for videos and batches that have not ended")
    available: int
    debt: int

    @classmethod
    def of(cls, balance: AccountBalance) -> CreditsOut:
        return cls(
            balance=balance.balance,
            reserved=balance.reserved,
            available=balance.available,
            debt=balance.debt,
        )


class MeOut(Out):
    id: str
    email: str
    role: str
    plan: str
    credits: CreditsOut
    videos_by_status: dict[str, int]


class TransactionOut(Out):
    id: str
    type: str
    amount: int = Field(description="Signed: credits in are positive, credits out negative")
    balance_after: int
    created_at: datetime
    reference: str | None
    reason: str | None

    @classmethod
    def of(cls, entry: LedgerEntry) -> TransactionOut:
        return cls(
            id=entry.id,
            type=entry.type.value,
            amount=entry.amount,
            balance_after=entry.balance_after,
            created_at=entry.created_at,
            reference=entry.reference,
            reason=entry.reason,
        )


class ModelPriceOut(Out):
    id: str
    tier: str
    description: str
    aspect_ratios: list[str]
    credits_by_duration_s: dict[str, int]


class PackOut(Out):
    id: str
    credits: int
    price: Decimal
    currency: str


class PricingOut(Out):
    models: list[ModelPriceOut]
    packs: list[PackOut]

    @classmethod
    def of(cls, table: PriceTable) -> PricingOut:
        models = [
            ModelPriceOut(
                id=m.id,
                tier=m.tier.name.lower(),
                description=m.description,
                aspect_ratios=list(m.aspect_ratios),
                credits_by_duration_s={
                    str(d): table.prices[(m.id, d)].amount for d in m.durations_s
                },
            )
            for m in table.models
        ]
        packs = [
            PackOut(
                id=p.id,
                credits=p.credits.amount,
                price=p.price.amount,
                currency=p.price.currency,
            )
            for p in table.packs
        ]
        return cls(models=models, packs=packs)
