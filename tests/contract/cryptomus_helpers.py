"""Builders for the Cryptomus adapter's tests: the shared fixtures, a scripted transport, signed
webhooks and purchases."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from afp_adapters.payments.cryptomus import CryptomusPayments, php_json_encode, sign_body
from afp_core.domain.ids import PurchaseId, UserId
from afp_core.domain.money import Credits, Money
from afp_core.domain.payments import PaymentProviderName, Purchase
from afp_core.domain.pricing import CreditPack
from tests.replay import Replay
from tests.shared_fixtures import SHARED

FIXTURES = SHARED / "cryptomus"
KEY = "test-payment-key"
MERCHANT = "c26b80a8-9549-4b2a-9d8b-d8b5b4d2a111"
CALLBACK = "https://afp.example/webhooks/cryptomus"
PURCHASE_ID = PurchaseId("01HZPURCHASE00000000000001")  # 26 characters, like a ULID
ORDER_ID = f"afp-{PURCHASE_ID}"
UUID = "62f88b36-a9d5-4fa6-aa26-e040c3dbf26d"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def vectors() -> dict[str, Any]:
    found: dict[str, Any] = load("test_vectors.json")
    return found


def adapter(replay: Replay | None = None, **changes: Any) -> CryptomusPayments:
    settings: dict[str, Any] = {
        "merchant_id": MERCHANT,
        "payment_key": KEY,
        "callback_url": CALLBACK,
        "return_url": "https://afp.example/billing",
        "transport": (replay or Replay()).transport,
    }
    return CryptomusPayments(**(settings | changes))


def ok(result: Any) -> httpx.Response:
    return httpx.Response(200, json={"state": 0, "result": result})


def info(status: str = "paid", **changes: Any) -> dict[str, Any]:
    """The docs' payment-info result (a cancelled invoice) re-aimed at our order."""
    result: dict[str, Any] = copy.deepcopy(load("cryptomus_payment_info_response.json")["result"])
    result.update(
        uuid=UUID, order_id=ORDER_ID, amount="9.00", currency="USD", payment_status=status
    )
    result["status"] = status
    result.update(changes)
    return result


def error(case: str, status_code: int = 200) -> httpx.Response:
    return httpx.Response(status_code, json=load("cryptomus_error_responses.json")[case])


def signed_webhook(key: str = KEY, **fields: Any) -> bytes:
    """A webhook as Cryptomus sends one: PHP-encoded, `sign` appended last."""
    data: dict[str, Any] = {
        "type": "payment",
        "uuid": UUID,
        "order_id": ORDER_ID,
        "amount": "9.00",
        "payment_amount": "9.00",
        "merchant_amount": "8.82",
        "is_final": True,
        "status": "paid",
        "network": "tron",
        "currency": "USD",
        "payer_currency": "USDT",
        "additional_data": str(PURCHASE_ID),
        "txid": "6f0d9c8374db57cac0d806251473de754f361c83a03cd805f74aa9da3193486b",
    }
    data.update(fields)
    body = php_json_encode(data)
    return with_sign(body, sign_body(body, key))


def with_sign(body_without_sign: bytes, sign: str) -> bytes:
    """The compact body with a `sign` member appended last."""
    return body_without_sign[:-1] + b',"sign":"' + sign.encode() + b'"}'


def flip(body: bytes, marker: bytes, offset: int = 0) -> bytes:
    """The body with the one byte at `marker + offset` changed to another ASCII letter/digit."""
    at = body.index(marker) + offset
    old = body[at : at + 1]
    new = b"1" if old != b"1" else b"2"
    if old.isalpha():
        new = b"q" if old != b"q" else b"z"
    return body[:at] + new + body[at + 1 :]


def purchase(purchase_id: str = PURCHASE_ID, price: Money | None = None) -> Purchase:
    return Purchase(
        id=PurchaseId(purchase_id),
        user_id=UserId("u-7"),
        pack_id="starter",
        credits=100,
        price=price or Money("9.00", "USD"),
        provider=PaymentProviderName.CRYPTOMUS,
        created_at=datetime(2024, 5, 27, 19, 30, tzinfo=UTC),
    )


def pack() -> CreditPack:
    return CreditPack("starter", Credits(100), Money("9.00", "USD"))
