"""Shared pieces of the Lemon Squeezy contract tests: fixtures on disk, signing, a scripted
`httpx.MockTransport` handler and a purchase to sell."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from afp_adapters.payments import LemonSqueezyPayments
from afp_core.domain.ids import PurchaseId, UserId
from afp_core.domain.money import Credits, Money
from afp_core.domain.payments import PaymentProviderName, Purchase
from afp_core.domain.pricing import CreditPack
from tests.replay import Replay
from tests.shared_fixtures import SHARED

LS = SHARED / "lemonsqueezy"
SECRET = "test-signing-secret"
API_KEY = "ls-test-api-key"
STORE_ID = "4242"
VARIANT_ID = "192214"


def raw(name: str) -> bytes:
    return (LS / name).read_bytes()


def load(name: str) -> Any:
    return json.loads(raw(name))


def vectors() -> dict[str, Any]:
    """The Lemon Squeezy entries of `test_vectors.json` (it also holds Cryptomus vectors)."""
    table = load("test_vectors.json")
    return {key: value for key, value in table.items() if key.startswith("lemonsqueezy")}


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(payload: Any, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """A delivery as Lemon Squeezy sends it: the body and its `X-Signature`."""
    body = json.dumps(payload).encode()
    return body, {"Content-Type": "application/json", "X-Signature": sign(body, secret)}


def with_changes(name: str, **attributes: Any) -> dict[str, Any]:
    """A copy of a webhook fixture with some order attributes changed (None removes one)."""
    payload: dict[str, Any] = copy.deepcopy(load(name))
    target = payload["data"]["attributes"]
    for key, value in attributes.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return payload


def adapter(
    transport: httpx.AsyncBaseTransport | None = None, **changes: Any
) -> LemonSqueezyPayments:
    settings: dict[str, Any] = {
        "api_key": API_KEY,
        "store_id": STORE_ID,
        "webhook_secret": SECRET,
        "transport": transport or httpx.MockTransport(Replay()),
    }
    payments = LemonSqueezyPayments(**(settings | changes))
    payments.retry_delays_s = (0.0,)  # no real pauses in tests
    return payments


def purchase(*, payment_id: str | None = None) -> Purchase:
    return Purchase(
        id=PurchaseId("01HZPURCHASE0000000000001"),
        user_id=UserId("u-7"),
        pack_id="starter",
        credits=100,
        price=Money("9.00", "USD"),
        provider=PaymentProviderName.LEMONSQUEEZY,
        created_at=datetime(2024, 5, 27, 19, 30, tzinfo=UTC),
        payment_id=payment_id,
    )


def pack(variant_id: str | None = VARIANT_ID) -> CreditPack:
    return CreditPack("starter", Credits(100), Money("9.00", "USD"), variant_id)


def order_reply(status_code: int = 200, **attributes: Any) -> httpx.Response:
    """`GET /v1/orders/:id` answering the docs' order (`issue-refund` example) with changes."""
    order: dict[str, Any] = copy.deepcopy(load("lemonsqueezy_issue_refund_response_docs.json"))
    order["attributes"].update(attributes)
    return httpx.Response(status_code, json={"jsonapi": {"version": "1.0"}, "data": order})
