"""L9 with real Lemon Squeezy bodies: a random multiset of signed order and refund events,
delivered in random order with random repeats, ends exactly where delivering each distinct
event once, in order, ends — on the in-memory database and on SQLite."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afp_adapters.fakes import FakeClock, InMemoryDatabase, SequentialIds
from afp_adapters.sql import SqlDatabase
from afp_core.domain.ids import PurchaseId, UserId
from afp_core.domain.money import Money
from afp_core.domain.payments import PaymentProviderName, Purchase
from afp_core.domain.users import User
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases import HandlePaymentNotice, HandlePaymentNoticeCommand
from tests.contract import lemonsqueezy_helpers as ls
from tests.shared_fixtures import SHARED, needs

pytestmark = needs(SHARED / "lemonsqueezy")

LS = PaymentProviderName.LEMONSQUEEZY
CREDITS = 500
PRICE_CENTS = 3900
_serial = itertools.count()
SQL_IDS = SequentialIds("sql-row")  # one sequence for every database opened on the same file

OpenDb = Callable[[], InMemoryDatabase | SqlDatabase]
Event = tuple[str, int]  # ("paid" | "pending" | "refund" | "other", refunded cents)


def _body(event: Event, purchase_id: str, order_id: str) -> dict[str, Any]:
    kind, cents = event
    payload: dict[str, Any] = copy.deepcopy(ls.load("lemonsqueezy_order_created.json"))
    payload["meta"]["custom_data"] = {"purchase_id": purchase_id, "pack_id": "creator"}
    order = payload["data"]["attributes"]
    order.update(total=PRICE_CENTS, subtotal=PRICE_CENTS, currency="USD", test_mode=False)
    order["status"] = {"pending": "pending", "refund": "partial_refund"}.get(kind, "paid")
    payload["data"]["id"] = order_id
    if kind == "refund":
        payload["meta"]["event_name"] = "order_refunded"
        order["refunded_amount"] = cents
        if cents >= PRICE_CENTS:
            order["status"], order["refunded"] = "refunded", True
    elif kind == "other":
        payload["meta"]["event_name"] = "subscription_payment_success"
    return payload


async def _run(open_db: OpenDb, events: list[Event]) -> tuple[int, int, int, int]:
    db = open_db()
    try:
        return await _deliver(db.unit_of_work, events)
    finally:
        if isinstance(db, SqlDatabase):
            await db.dispose()


async def _deliver(uow: UnitOfWorkFactory, events: list[Event]) -> tuple[int, int, int, int]:
    """Deliver `events` for a fresh user and purchase; the user's final balance, debt and
    reserved credits, and the credits the purchase had clawed back."""
    n = next(_serial)
    user, purchase_id, order_id = UserId(f"u{n}"), PurchaseId(f"p{n}"), str(90_000 + n)
    clock = FakeClock()
    async with uow() as unit:
        await unit.users.add(User(user, f"{user}@example.com", clock.now()))
        await unit.purchases.add(
            Purchase(purchase_id, user, "creator", CREDITS, Money("39.00", "USD"), LS, clock.now())
        )
        await unit.commit()
    handle = HandlePaymentNotice(uow, {LS: ls.adapter()}, clock)
    for event in events:
        body, headers = ls.signed(_body(event, purchase_id, order_id))
        await handle.execute(HandlePaymentNoticeCommand(LS, body, headers))
    async with uow() as unit:
        balance = await unit.ledger.balance(user)
        stored = await unit.purchases.get(purchase_id)
    assert stored is not None
    return balance.balance, balance.debt, balance.reserved, stored.refunded_credits


deliveries = st.tuples(
    st.integers(min_value=1, max_value=3),  # copies of the paid order_created
    st.booleans(),  # a pending order_created first
    st.booleans(),  # an event type we do not act on
    st.lists(st.integers(min_value=1, max_value=PRICE_CENTS), max_size=4, unique=True),
    st.integers(min_value=1, max_value=2),  # copies of each refund
)


def _events(spec: tuple[int, bool, bool, list[int], int]) -> tuple[list[Event], list[Event]]:
    paid_copies, pending, other, refunds, refund_copies = spec
    in_order: list[Event] = [("pending", 0)] if pending else []
    in_order += [("paid", 0)] + [("refund", c) for c in sorted(refunds)]
    in_order += [("other", 0)] if other else []
    multiset = [e for e in in_order if e[0] != "paid" for _ in range(refund_copies)]
    multiset += [("paid", 0)] * paid_copies
    return in_order, multiset


def _check(open_db: OpenDb, spec: Any, data: st.DataObject) -> None:
    in_order, multiset = _events(spec)
    shuffled = data.draw(st.permutations(multiset))
    expected = asyncio.run(_run(open_db, in_order))
    got = asyncio.run(_run(open_db, list(shuffled)))
    assert got == expected
    balance, debt, reserved, clawed = got
    assert (debt, reserved) == (0, 0)
    assert balance == CREDITS - clawed


@settings(max_examples=60, deadline=None)
@given(spec=deliveries, data=st.data())
def test_any_order_and_repeats_end_like_each_event_once_in_order_in_memory(
    spec: Any, data: st.DataObject
) -> None:
    db = InMemoryDatabase(SequentialIds("row"))
    _check(lambda: db, spec, data)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(spec=deliveries, data=st.data())
def test_any_order_and_repeats_end_like_each_event_once_in_order_on_sqlite(
    sqlite_url: str, spec: Any, data: st.DataObject
) -> None:
    _check(lambda: SqlDatabase.from_url(sqlite_url, SQL_IDS), spec, data)
