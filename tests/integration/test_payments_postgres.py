"""Payment webhooks racing on PostgreSQL (READ COMMITTED, each delivery on its own
connection): the same order delivered 20 times at once credits once; refunds of several levels
delivered at once claw back exactly the highest level."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from afp_adapters.fakes import FakeClock, SequentialIds
from afp_adapters.sql import SqlDatabase
from afp_core.domain.ids import PurchaseId, UserId
from afp_core.domain.money import Money
from afp_core.domain.payments import PaymentProviderName, Purchase
from afp_core.domain.users import User
from afp_core.usecases import HandlePaymentNotice, HandlePaymentNoticeCommand
from tests.contract import lemonsqueezy_helpers as ls
from tests.shared_fixtures import SHARED, needs

pytestmark = [pytest.mark.integration, needs(SHARED / "lemonsqueezy")]

LS = PaymentProviderName.LEMONSQUEEZY
NOW = datetime(2026, 1, 1, tzinfo=UTC)
USER = UserId("u-pay")
PURCHASE = PurchaseId("p-pay")


@pytest.fixture
async def db(postgres_url: str) -> AsyncIterator[SqlDatabase]:
    database = SqlDatabase.from_url(postgres_url, SequentialIds("c"), pool_size=25)
    async with database.unit_of_work() as uow:
        await uow.users.add(User(USER, "buyer@example.com", NOW))
        await uow.purchases.add(
            Purchase(PURCHASE, USER, "creator", 500, Money("39.00", "USD"), LS, NOW)
        )
        await uow.commit()
    yield database
    await database.dispose()


def _event(event_name: str, **attributes: Any) -> tuple[bytes, dict[str, str]]:
    payload: dict[str, Any] = copy.deepcopy(ls.load("lemonsqueezy_order_created.json"))
    payload["meta"] = {"event_name": event_name, "custom_data": {"purchase_id": PURCHASE}}
    payload["data"]["id"] = "5001"
    order = payload["data"]["attributes"]
    order.update({"total": 3900, "currency": "USD", "status": "paid", "test_mode": False})
    order.update(attributes)
    return ls.signed(payload)


async def _deliver_at_once(
    db: SqlDatabase, deliveries: list[tuple[bytes, dict[str, str]]]
) -> list[str]:
    handle = HandlePaymentNotice(db.unit_of_work, {LS: ls.adapter()}, FakeClock())
    results = await asyncio.gather(
        *(handle.execute(HandlePaymentNoticeCommand(LS, b, h)) for b, h in deliveries)
    )
    return [r.outcome.value for r in results]


async def test_twenty_concurrent_copies_of_an_order_credit_it_once(db: SqlDatabase) -> None:
    outcomes = await _deliver_at_once(db, [_event("order_created")] * 20)
    assert sorted(outcomes) == ["credited"] + ["duplicate"] * 19
    async with db.unit_of_work() as uow:
        assert (await uow.ledger.balance(USER)).balance == 500
        [stored] = await uow.webhooks.for_purchase(PURCHASE)
    assert stored.outcome == "credited"


async def test_concurrent_refund_levels_claw_back_exactly_the_highest(db: SqlDatabase) -> None:
    await _deliver_at_once(db, [_event("order_created")])
    levels = [780, 1950, 3120, 1950, 780]  # 20%, 50%, 80% of 39.00, two of them twice
    refunds = [
        _event("order_refunded", status="partial_refund", refunded_amount=cents) for cents in levels
    ]
    outcomes = await _deliver_at_once(db, refunds)
    assert outcomes.count("duplicate") >= 2
    async with db.unit_of_work() as uow:
        balance = await uow.ledger.balance(USER)
        purchase = await uow.purchases.get(PURCHASE)
    assert purchase is not None
    assert (purchase.refunded_credits, balance.balance) == (400, 100)
