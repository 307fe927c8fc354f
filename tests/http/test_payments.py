"""`/payment/*/checkout` and the payment webhooks: signed on raw bytes, applied once."""

from __future__ import annotations

from typing import Any

import pytest

from afp_core.domain.payments import PaymentProviderName
from tests.http.conftest import Api, Caller

FAKE_WEBHOOK = "/webhooks/fake"


def _fake(api: Api) -> Any:
    return api.world.c.payments()[PaymentProviderName.FAKE]


async def _checkout(api: Api, caller: Caller, pack_id: str = "starter") -> dict[str, Any]:
    answer = await api.client.post(
        "/payment/fake/checkout", json={"pack_id": pack_id}, headers=caller.headers
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _paid(api: Api, purchase_id: str, event: str = "evt_1") -> tuple[bytes, dict[str, str]]:
    body, headers = _fake(api).webhook(
        event_id=event,
        kind="paid",
        purchase_id=purchase_id,
        payment_id="pay_1",
        amount="9.00",
        currency="USD",
    )
    return body, {**headers, "Content-Type": "application/json"}


async def test_a_checkout_answers_the_url_and_the_purchase(api: Api) -> None:
    caller = await api.sign_up()
    body = await _checkout(api, caller)
    assert body["checkout_url"].endswith(body["purchase_id"])
    assert (body["credits"], body["price"], body["currency"]) == (100, "9.00", "USD")


@pytest.mark.parametrize("provider", ["lemonsqueezy", "cryptomus"])
async def test_a_provider_that_is_not_configured_is_refused(api: Api, provider: str) -> None:
    caller = await api.sign_up()
    answer = await api.client.post(
        f"/payment/{provider}/checkout", json={"pack_id": "starter"}, headers=caller.headers
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "validation_error"
    assert "not available" in answer.json()["detail"]


async def test_an_unknown_pack_or_a_bad_body_is_422(api: Api) -> None:
    caller = await api.sign_up()
    for body in ({"pack_id": "nope"}, {}, {"pack_id": "starter", "price": 0}):
        answer = await api.client.post("/payment/fake/checkout", json=body, headers=caller.headers)
        assert answer.status_code == 422, body


async def test_a_checkout_needs_a_token(api: Api) -> None:
    for provider in ("lemonsqueezy", "cryptomus", "fake"):
        answer = await api.client.post(f"/payment/{provider}/checkout", json={"pack_id": "x"})
        assert answer.status_code == 401


async def test_a_repeated_idempotency_key_replays_the_same_purchase(api: Api) -> None:
    caller = await api.sign_up()
    headers = {**caller.headers, "Idempotency-Key": "buy-1"}
    first = await api.client.post(
        "/payment/fake/checkout", json={"pack_id": "starter"}, headers=headers
    )
    again = await api.client.post(
        "/payment/fake/checkout", json={"pack_id": "starter"}, headers=headers
    )
    assert first.json()["purchase_id"] == again.json()["purchase_id"]
    other = await api.client.post(
        "/payment/fake/checkout", json={"pack_id": "creator"}, headers=headers
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"


async def test_a_signed_payment_credits_the_pack_once(api: Api) -> None:
    caller = await api.sign_up()
    purchase = await _checkout(api, caller)
    body, headers = _paid(api, purchase["purchase_id"])
    answer = await api.client.post(FAKE_WEBHOOK, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "received": True,
        "outcome": "credited",
        "purchase_id": purchase["purchase_id"],
        "credits_added": 100,
        "credits_clawed_back": 0,
        "detail": "",
    }
    again = await api.client.post(FAKE_WEBHOOK, content=body, headers=headers)
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    credits = (await api.client.get("/credits", headers=caller.headers)).json()
    assert credits["balance"] == 100


async def test_a_forged_or_missing_signature_is_401(api: Api) -> None:
    caller = await api.sign_up()
    purchase = await _checkout(api, caller)
    body, headers = _paid(api, purchase["purchase_id"])
    for sent in ({**headers, "x-fake-signature": "0" * 64}, {"Content-Type": "application/json"}):
        answer = await api.client.post(FAKE_WEBHOOK, content=body, headers=sent)
        assert answer.status_code == 401
        assert answer.json()["code"] == "invalid_signature"
    assert (await api.client.get("/credits", headers=caller.headers)).json()["balance"] == 0


@pytest.mark.parametrize("provider", ["lemonsqueezy", "cryptomus"])
async def test_webhooks_of_a_provider_that_is_not_configured_are_refused(
    api: Api, provider: str
) -> None:
    answer = await api.client.post(f"/webhooks/{provider}", content=b'{"meta": {}}')
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_signature"


async def test_a_refund_before_its_payment_is_stored_and_applied_with_it(api: Api) -> None:
    caller = await api.sign_up()
    purchase = await _checkout(api, caller)
    body, headers = _fake(api).webhook(
        event_id="evt_refund",
        kind="refunded",
        purchase_id=purchase["purchase_id"],
        payment_id="pay_1",
        refunded_total="9.00",
        currency="USD",
    )
    early = await api.client.post(FAKE_WEBHOOK, content=body, headers=headers)
    assert early.status_code == 200
    assert early.json()["outcome"] == "deferred"

    paid_body, paid_headers = _paid(api, purchase["purchase_id"])
    paid = await api.client.post(FAKE_WEBHOOK, content=paid_body, headers=paid_headers)
    assert paid.status_code == 200
    assert (paid.json()["credits_added"], paid.json()["credits_clawed_back"]) == (100, 100)
    redelivered = await api.client.post(FAKE_WEBHOOK, content=body, headers=headers)
    assert redelivered.json()["outcome"] == "duplicate"


async def test_a_signed_body_that_is_not_a_notice_is_422(api: Api) -> None:
    body = b'{"kind": "paid"}'
    headers = {"x-fake-signature": _fake(api).sign(body)}
    answer = await api.client.post(FAKE_WEBHOOK, content=body, headers=headers)
    assert answer.status_code == 422
    assert answer.json()["code"] == "validation_error"


async def test_a_signed_notice_for_an_unknown_purchase_is_stored_as_unmatched(api: Api) -> None:
    body, headers = _paid(api, "no-such-purchase")
    answer = await api.client.post(FAKE_WEBHOOK, content=body, headers=headers)
    assert answer.status_code == 200
    assert (answer.json()["outcome"], answer.json()["purchase_id"]) == ("unmatched", None)
