"""Lemon Squeezy and Cryptomus behind the HTTP API, their APIs replaced by mocked transports:
checkouts answer the provider's URL; signed webhooks credit once however often they arrive."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from afp_adapters.payments import LemonSqueezyPayments
from afp_core.domain.payments import PaymentProviderName
from afp_core.domain.pricing import default_price_table
from tests.contract import cryptomus_helpers as cm
from tests.contract import lemonsqueezy_helpers as ls
from tests.http.conftest import Api, Caller
from tests.shared_fixtures import SHARED, needs

pytestmark = needs(SHARED)


class CheckoutApi:
    """Answers `POST /v1/checkouts` with the recorded checkout and keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("POST", "/v1/checkouts")
        self.sent.append(json.loads(request.content))
        return httpx.Response(201, json=ls.load("lemonsqueezy_create_checkout_response.json"))


@pytest.fixture
def checkout_api() -> CheckoutApi:
    return CheckoutApi()


@pytest.fixture
def lemonsqueezy(api: Api, checkout_api: CheckoutApi) -> LemonSqueezyPayments:
    world = api.world
    adapter = ls.adapter(httpx.MockTransport(checkout_api))
    known = dict(world.c.payments())
    known[PaymentProviderName.LEMONSQUEEZY] = adapter
    world.c.payments.override(providers.Object(known))
    prices = default_price_table()
    packs = [
        p.__class__(p.id, p.credits, p.price, ls.VARIANT_ID) if p.id == "starter" else p
        for p in prices.packs
    ]
    world.c.prices.override(providers.Object(prices.with_packs(packs)))
    return adapter


async def _buy(api: Api, caller: Caller) -> dict[str, Any]:
    answer = await api.client.post(
        "/payment/lemonsqueezy/checkout", json={"pack_id": "starter"}, headers=caller.headers
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _order(purchase: dict[str, Any], caller: Caller, **attributes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(ls.load("lemonsqueezy_order_created.json"))
    payload["meta"]["custom_data"] = {
        "user_id": caller.user_id,
        "pack_id": "starter",
        "purchase_id": purchase["purchase_id"],
    }
    order = payload["data"]["attributes"]
    order.update(
        {"total": 900, "subtotal": 900, "currency": "USD", "status": "paid", "test_mode": False}
    )
    order["first_order_item"]["variant_id"] = int(ls.VARIANT_ID)
    order.update(attributes)
    payload["data"]["id"] = "777001"
    return payload


async def _balance(api: Api, caller: Caller) -> int:
    answer = await api.client.get("/credits", headers=caller.headers)
    assert answer.status_code == 200, answer.text
    balance: int = answer.json()["balance"]
    return balance


async def test_the_checkout_answers_the_url_lemonsqueezy_returned(
    api: Api, lemonsqueezy: LemonSqueezyPayments, checkout_api: CheckoutApi
) -> None:
    caller = await api.sign_up()
    body = await _buy(api, caller)
    recorded = ls.load("lemonsqueezy_create_checkout_response.json")
    assert body["checkout_url"] == recorded["data"]["attributes"]["url"]
    [sent] = checkout_api.sent
    custom = sent["data"]["attributes"]["checkout_data"]["custom"]
    assert custom == {
        "user_id": caller.user_id,
        "pack_id": "starter",
        "purchase_id": body["purchase_id"],
    }
    assert sent["data"]["relationships"]["variant"]["data"]["id"] == ls.VARIANT_ID


async def test_a_signed_order_created_delivered_five_times_credits_the_pack_once(
    api: Api, lemonsqueezy: LemonSqueezyPayments
) -> None:
    caller = await api.sign_up()
    purchase = await _buy(api, caller)
    body, headers = ls.signed(_order(purchase, caller))
    outcomes = []
    for _ in range(5):
        answer = await api.client.post("/webhooks/lemonsqueezy", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        outcomes.append(answer.json()["outcome"])
    assert outcomes == ["credited"] + ["duplicate"] * 4
    assert await _balance(api, caller) == 100
    async with api.world.uow() as uow:
        [stored] = await uow.webhooks.for_purchase(purchase["purchase_id"])
    assert (stored.body, stored.outcome) == (body, "credited")


async def test_a_body_changed_by_one_byte_is_401_and_writes_nothing(
    api: Api, lemonsqueezy: LemonSqueezyPayments
) -> None:
    caller = await api.sign_up()
    purchase = await _buy(api, caller)
    body, headers = ls.signed(_order(purchase, caller))
    forged = body.replace(b'"total": 900', b'"total": 901')
    reserialised = json.dumps(json.loads(body), separators=(",", ":")).encode()
    for tampered in (forged, reserialised):
        answer = await api.client.post("/webhooks/lemonsqueezy", content=tampered, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["code"] == "invalid_signature"
    async with api.world.uow() as uow:
        assert await uow.webhooks.for_purchase(purchase["purchase_id"]) == []
    assert await _balance(api, caller) == 0


async def test_a_partial_refund_claws_back_its_share_once(
    api: Api, lemonsqueezy: LemonSqueezyPayments
) -> None:
    caller = await api.sign_up()
    purchase = await _buy(api, caller)
    paid_body, paid_headers = ls.signed(_order(purchase, caller))
    await api.client.post("/webhooks/lemonsqueezy", content=paid_body, headers=paid_headers)
    refund = _order(purchase, caller, status="partial_refund", refunded_amount=450)
    refund["meta"]["event_name"] = "order_refunded"
    body, headers = ls.signed(refund)
    first = await api.client.post("/webhooks/lemonsqueezy", content=body, headers=headers)
    again = await api.client.post("/webhooks/lemonsqueezy", content=body, headers=headers)
    assert (first.json()["outcome"], first.json()["credits_clawed_back"]) == ("refunded", 50)
    assert again.json()["outcome"] == "duplicate"
    assert await _balance(api, caller) == 50


async def test_a_test_mode_order_on_a_live_server_is_stored_and_credits_nothing(
    api: Api, lemonsqueezy: LemonSqueezyPayments
) -> None:
    caller = await api.sign_up()
    purchase = await _buy(api, caller)
    body, headers = ls.signed(_order(purchase, caller, test_mode=True))
    answer = await api.client.post("/webhooks/lemonsqueezy", content=body, headers=headers)
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "ignored"
    assert "test-mode" in answer.json()["detail"]
    assert await _balance(api, caller) == 0


# ------------------------------------------------------------------------------ Cryptomus


class CryptomusApi:
    """Answers invoice creation with the recorded invoice and payment info with `status`."""

    def __init__(self) -> None:
        self.status = "paid"
        self.order_id = ""
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        sent = json.loads(request.content)
        if request.url.path == "/v1/payment":
            self.order_id = sent["order_id"]
            return httpx.Response(200, json=cm.load("cryptomus_create_invoice_response.json"))
        assert request.url.path == "/v1/payment/info"
        result = cm.info(self.status, order_id=self.order_id)
        return cm.ok(result)


@pytest.fixture
def cryptomus(api: Api) -> CryptomusApi:
    remote = CryptomusApi()
    known = dict(api.world.c.payments())
    known[PaymentProviderName.CRYPTOMUS] = cm.adapter(
        transport=httpx.MockTransport(remote), callback_url=cm.CALLBACK
    )
    api.world.c.payments.override(providers.Object(known))
    return remote


async def test_a_cryptomus_invoice_credits_once_after_the_payment_info_confirms_it(
    api: Api, cryptomus: CryptomusApi
) -> None:
    caller = await api.sign_up()
    answer = await api.client.post(
        "/payment/cryptomus/checkout", json={"pack_id": "starter"}, headers=caller.headers
    )
    assert answer.status_code == 200, answer.text
    purchase = answer.json()
    recorded = cm.load("cryptomus_create_invoice_response.json")["result"]
    assert purchase["checkout_url"] == recorded["url"]
    assert cryptomus.order_id == f"afp-{purchase['purchase_id']}"

    body = cm.signed_webhook(order_id=cryptomus.order_id, additional_data=purchase["purchase_id"])
    # a test webhook while the invoice is still open: signed, but the info says otherwise
    cryptomus.status = "check"
    early = await api.client.post("/webhooks/cryptomus", content=body)
    assert (early.status_code, early.json()["outcome"]) == (200, "ignored")
    assert await _balance(api, caller) == 0

    cryptomus.status = "paid"
    outcomes = []
    for _ in range(5):
        answer = await api.client.post("/webhooks/cryptomus", content=body)
        assert answer.status_code == 200, answer.text
        outcomes.append(answer.json()["outcome"])
    assert outcomes == ["credited"] + ["duplicate"] * 4
    assert await _balance(api, caller) == 100

    forged = body.replace(b'"amount":"9.00"', b'"amount":"9.01"')
    refused = await api.client.post("/webhooks/cryptomus", content=forged)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_signature")
