"""CreateCheckout: record a pending purchase of a credit pack, then open the provider's checkout."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from afp_core.domain.errors import NotFound, ValidationFailed
from afp_core.domain.ids import PurchaseId, UserId
from afp_core.domain.money import Money
from afp_core.domain.payments import PaymentProviderName, Purchase
from afp_core.domain.pricing import PriceTable
from afp_core.ports.commerce import PaymentProvider
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class CreateCheckoutCommand:
    user_id: UserId
    provider: PaymentProviderName
    pack_id: str
    redirect_url: str | None = None


@attrs.frozen
class CreateCheckoutResult:
    purchase_id: PurchaseId
    checkout_url: str
    credits: int
    price: Money


class CreateCheckout:
    """Start buying a credit pack.

    The purchase is recorded as PENDING and committed *before* the provider is asked for a
    checkout, so a webhook that arrives early always finds it. The provider call runs outside
    any unit of work; its checkout URL is saved afterwards. An unknown pack or a provider that
    is not configured is `ValidationFailed`, and nothing is written.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        payments: Mapping[PaymentProviderName, PaymentProvider],
        prices: PriceTable,
        clock: Clock,
        ids: IdGenerator,
    ) -> None:
        self._uow = uow
        self._payments = payments
        self._prices = prices
        self._clock = clock
        self._ids = ids

    async def execute(self, command: CreateCheckoutCommand) -> CreateCheckoutResult:
        provider = self._payments.get(command.provider)
        if provider is None:
            raise ValidationFailed(f"payments with {command.provider.value} are not available")
        pack = self._prices.pack(command.pack_id)
        purchase = Purchase(
            id=PurchaseId(self._ids.new_id()),
            user_id=command.user_id,
            pack_id=pack.id,
            credits=pack.credits.amount,
            price=pack.price,
            provider=command.provider,
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            user = await uow.users.get(command.user_id)
            await uow.purchases.add(purchase)
            await uow.commit()
        checkout = await provider.create_checkout(
            purchase, pack, email=user.email, redirect_url=command.redirect_url
        )
        async with self._uow() as uow:
            # Reload: a webhook may have settled the purchase while the provider answered.
            stored = await uow.purchases.get(purchase.id)
            if stored is None:
                raise NotFound(f"purchase {purchase.id} not found")
            stored.checkout_url = checkout.checkout_url
            await uow.purchases.save(stored)
            await uow.commit()
        return CreateCheckoutResult(
            purchase.id, checkout.checkout_url, purchase.credits, purchase.price
        )


__all__ = ["CreateCheckout", "CreateCheckoutCommand", "CreateCheckoutResult"]
