"""`LemonSqueezyPayments` against the shared Lemon Squeezy fixtures, offline.

Signatures: every vector of `test_vectors.json` verifies byte for byte; re-serialised bodies,
flipped bytes and bad headers are refused. Payload fixtures parse to the notices their numbers
say. Checkouts and order reads go through `httpx.MockTransport`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from afp_adapters.payments import LemonSqueezyPayments
from afp_core.domain.errors import (
    DomainError,
    InvalidSignature,
    ProviderAccountBlocked,
    ProviderRejected,
    ProviderUnavailable,
    ValidationFailed,
)
from afp_core.domain.ids import PurchaseId
from afp_core.domain.money import Money
from afp_core.domain.payments import (
    Checkout,
    NoticeKind,
    PaymentNotice,
    PaymentProviderName,
    ProviderPaymentState,
)
from afp_core.ports.commerce import PaymentProvider
from tests.contract.lemonsqueezy_helpers import (
    API_KEY,
    LS,
    SECRET,
    STORE_ID,
    VARIANT_ID,
    Replay,
    adapter,
    load,
    order_reply,
    pack,
    purchase,
    raw,
    sign,
    signed,
    vectors,
    with_changes,
)
from tests.shared_fixtures import needs

pytestmark = pytest.mark.contract
shared = needs(LS)

ORDER_CREATED = "lemonsqueezy_order_created.json"
CAPTURED = "lemonsqueezy_order_created_captured_testmode.json"
REFUNDED = "lemonsqueezy_order_refunded_partial.json"
VECTOR_NAMES = ("lemonsqueezy_sdk_order_created", "lemonsqueezy_escaped_slashes")


def cents(amount: int, currency: str) -> Money:
    return Money(Decimal(amount) / 100, currency)


def vector(name: str) -> tuple[str, bytes, str]:
    """(secret, body bytes, expected signature) of one named vector."""
    entry = vectors()[name]
    expected = entry.get("signature") or entry["signature_over_raw_escaped_body"]
    return entry["secret"], raw(entry["body_file"]), expected


# ---------------------------------------------------------------- signature vectors


@shared
def test_the_vector_table_lists_exactly_the_vectors_these_tests_check() -> None:
    assert sorted(vectors()) == sorted(VECTOR_NAMES)


@shared
@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_every_signature_vector_reproduces_from_the_file_bytes(name: str) -> None:
    entry = vectors()[name]
    secret, body, expected = vector(name)
    assert hashlib.sha256(body).hexdigest() == entry["body_sha256"]
    assert len(body) == entry.get("body_len", len(body))
    assert sign(body, secret) == expected


@shared
def test_vector_one_verifies_and_parses_to_a_paid_order() -> None:
    secret, body, expected = vector("lemonsqueezy_sdk_order_created")
    payload = json.loads(body)
    attributes = payload["data"]["attributes"]

    notice = adapter(webhook_secret=secret).parse_notice(body, {"X-Signature": expected})

    assert notice == PaymentNotice(
        provider=PaymentProviderName.LEMONSQUEEZY,
        event_id=f"order_created:{payload['data']['id']}",
        kind=NoticeKind.PAID,
        purchase_id=None,  # its custom data has no purchase_id
        payment_id=payload["data"]["id"],
        amount=cents(attributes["total"], attributes["currency"]),
        variant_id=str(attributes["first_order_item"]["variant_id"]),
        event_name="order_created",
    )
    assert notice.amount == Money("18.59", "EUR")


@shared
def test_the_escaped_slash_vector_verifies_on_its_raw_bytes() -> None:
    secret, body, expected = vector("lemonsqueezy_escaped_slashes")
    assert b"\\/" in body
    # the signature passes; the body is no webhook event, so parsing it is what fails
    with pytest.raises(ValidationFailed, match="event_name"):
        adapter(webhook_secret=secret).parse_notice(body, {"X-Signature": expected})


@shared
def test_reserialising_the_escaped_slash_body_gives_the_wrong_digest_and_is_refused() -> None:
    entry = vectors()["lemonsqueezy_escaped_slashes"]
    secret, body, expected = vector("lemonsqueezy_escaped_slashes")
    redumped = json.dumps(json.loads(body), separators=(",", ":")).encode()
    assert redumped != body
    assert sign(redumped, secret) == entry["signature_if_slashes_unescaped_WRONG"]

    with pytest.raises(InvalidSignature):
        adapter(webhook_secret=secret).parse_notice(redumped, {"X-Signature": expected})


@shared
@pytest.mark.parametrize("name", VECTOR_NAMES)
@pytest.mark.parametrize("dump", [json.dumps, lambda value: json.dumps(value, indent=2)])
def test_a_reserialised_body_is_refused(name: str, dump: Any) -> None:
    secret, body, expected = vector(name)
    redumped = dump(json.loads(body)).encode()
    assert redumped != body

    with pytest.raises(InvalidSignature):
        adapter(webhook_secret=secret).parse_notice(redumped, {"X-Signature": expected})


@shared
@pytest.mark.parametrize("name", VECTOR_NAMES)
@pytest.mark.parametrize("where", [0, 1, 10, 0.5, -2, -1])
def test_one_flipped_byte_anywhere_is_refused(name: str, where: float) -> None:
    secret, body, expected = vector(name)
    position = int(len(body) * where) if isinstance(where, float) else where
    changed = bytearray(body)
    changed[position] ^= 0x01

    with pytest.raises(InvalidSignature):
        adapter(webhook_secret=secret).parse_notice(bytes(changed), {"X-Signature": expected})


@shared
def test_the_tab_in_vector_one_is_part_of_what_is_signed() -> None:
    secret, body, expected = vector("lemonsqueezy_sdk_order_created")
    assert body.count(b"\t") == 1
    assert body.startswith(b"\n")
    assert body.endswith(b"\n")
    for changed in (body.replace(b"\t", b" "), body.strip(), body[1:], body[:-1]):
        with pytest.raises(InvalidSignature):
            adapter(webhook_secret=secret).parse_notice(changed, {"X-Signature": expected})


@shared
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"X-Signature": ""}, id="empty"),
        pytest.param({"X-Signature": "0" * 64}, id="wrong"),
        pytest.param({"X-Signature": "ABCDEF" + "0" * 58}, id="uppercase-but-wrong"),
        pytest.param({"X-Signature": "zz" * 32}, id="non-hex"),
        pytest.param({"X-Signature": "743c0dcf"}, id="truncated"),
        pytest.param({"X-Signature": "sha256=" + "0" * 64}, id="prefixed"),
        pytest.param({"X-LemonSqueezy-Signature": "placeholder"}, id="wrong-header-name"),
    ],
)
def test_a_bad_or_missing_signature_header_is_refused(headers: dict[str, str]) -> None:
    secret, body, expected = vector("lemonsqueezy_sdk_order_created")
    headers = {k: expected if v == "placeholder" else v for k, v in headers.items()}

    with pytest.raises(InvalidSignature):
        adapter(webhook_secret=secret).parse_notice(body, headers)


@shared
def test_another_vectors_valid_signature_is_refused() -> None:
    secret, body, _ = vector("lemonsqueezy_sdk_order_created")
    _, _, other = vector("lemonsqueezy_escaped_slashes")
    with pytest.raises(InvalidSignature):
        adapter(webhook_secret=secret).parse_notice(body, {"X-Signature": other})


@shared
def test_the_right_signature_is_refused_under_another_secret() -> None:
    _, body, expected = vector("lemonsqueezy_sdk_order_created")
    with pytest.raises(InvalidSignature):
        adapter(webhook_secret="another-secret").parse_notice(body, {"X-Signature": expected})


@shared
@pytest.mark.parametrize("header", ["X-Signature", "x-signature", "X-SIGNATURE"])
@pytest.mark.parametrize("shape", [str, str.upper, lambda s: f"  {s}\n"])
def test_the_header_is_found_whatever_its_case_and_hex_case_and_padding(
    header: str, shape: Any
) -> None:
    secret, body, expected = vector("lemonsqueezy_sdk_order_created")
    notice = adapter(webhook_secret=secret).parse_notice(body, {header: shape(expected)})
    assert notice.kind is NoticeKind.PAID


@shared
@pytest.mark.parametrize("secret", [None, ""])
def test_without_a_secret_every_webhook_is_refused(secret: str | None) -> None:
    _, body, expected = vector("lemonsqueezy_sdk_order_created")
    with pytest.raises(InvalidSignature, match="AFP_LEMONSQUEEZY_WEBHOOK_SECRET is not set"):
        adapter(webhook_secret=secret).parse_notice(body, {"X-Signature": expected})


def test_a_body_over_one_megabyte_is_refused_before_hashing() -> None:
    body = b'{"meta":{"event_name":"order_created"},"pad":"' + b"x" * (1024 * 1024) + b'"}'
    with pytest.raises(ValidationFailed, match="exceeds"):
        adapter().parse_notice(body, {"X-Signature": sign(body)})


@pytest.mark.parametrize(
    "body", [b"not json", b"\xff\xfe", b"[1, 2]", b'"text"', b"{}", b'{"meta": {}}']
)
def test_a_verified_body_that_is_no_event_is_a_validation_error(body: bytes) -> None:
    with pytest.raises(ValidationFailed):
        adapter().parse_notice(body, {"X-Signature": sign(body)})


# ---------------------------------------------------------------- payload fixtures


@shared
def test_the_docs_order_created_is_a_paid_notice() -> None:
    payload = load(ORDER_CREATED)
    attributes = payload["data"]["attributes"]
    body, headers = signed(payload)

    notice = adapter().parse_notice(body, headers)

    assert notice == PaymentNotice(
        provider=PaymentProviderName.LEMONSQUEEZY,
        event_id="order_created:1",
        kind=NoticeKind.PAID,
        purchase_id=None,
        payment_id="1",
        amount=cents(attributes["total"], "USD"),
        variant_id="1",
        event_name="order_created",
    )
    assert notice.amount == Money("58.99", "USD")


@shared
def test_the_captured_test_mode_order_is_paid_for_a_test_mode_server() -> None:
    payload = load(CAPTURED)
    attributes = payload["data"]["attributes"]
    body, headers = signed(payload)

    notice = adapter(test_mode=True).parse_notice(body, headers)

    assert notice.kind is NoticeKind.PAID
    assert notice.event_id == f"order_created:{payload['data']['id']}"
    assert notice.payment_id == "2773413"
    assert notice.amount == cents(attributes["total"], attributes["currency"])
    assert notice.amount == Money("1.00", "USD")
    assert notice.variant_id == str(attributes["first_order_item"]["variant_id"]) == "192214"
    assert notice.purchase_id is None  # its custom data (token, country) is another shop's


@shared
def test_the_captured_test_mode_order_is_ignored_by_a_live_server() -> None:
    body, headers = signed(load(CAPTURED))

    notice = adapter(test_mode=False).parse_notice(body, headers)

    assert notice.kind is NoticeKind.IGNORED
    assert notice.detail == "test-mode event refused in live mode"
    assert notice.event_name == "order_created"
    assert notice.amount is None


@shared
def test_a_live_order_is_ignored_by_a_test_mode_server() -> None:
    body, headers = signed(load(ORDER_CREATED))

    notice = adapter(test_mode=True).parse_notice(body, headers)

    assert notice.kind is NoticeKind.IGNORED
    assert notice.detail == "live-mode event refused in test mode"


@shared
@pytest.mark.parametrize("where", ["meta", "attributes"])
def test_a_test_mode_flag_in_either_place_is_enough_to_refuse_it_live(where: str) -> None:
    payload = load(ORDER_CREATED)
    if where == "meta":
        payload["meta"]["test_mode"] = True
    else:
        payload["data"]["attributes"]["test_mode"] = True
    body, headers = signed(payload)

    notice = adapter().parse_notice(body, headers)

    assert (notice.kind, notice.detail) == (
        NoticeKind.IGNORED,
        "test-mode event refused in live mode",
    )


@shared
def test_the_partial_refund_is_a_refund_of_the_cumulative_amount() -> None:
    payload = load(REFUNDED)
    payload["data"]["attributes"]["currency"] = "USD"  # trimmed from the fixture, see below
    attributes = payload["data"]["attributes"]
    body, headers = signed(payload)

    notice = adapter().parse_notice(body, headers)

    assert notice == PaymentNotice(
        provider=PaymentProviderName.LEMONSQUEEZY,
        event_id=f"order_refunded:8990348:{attributes['refunded_amount']}",
        kind=NoticeKind.REFUNDED,
        purchase_id=None,
        payment_id="8990348",
        amount=cents(attributes["total"], "USD"),
        refunded_total=cents(attributes["refunded_amount"], "USD"),
        event_name="order_refunded",
        detail="status 'partial_refund', refunded_amount 3055",
    )
    assert notice.refunded_total == Money("30.55", "USD")


@shared
def test_the_trimmed_refund_fixture_without_a_currency_is_not_guessed() -> None:
    body, headers = signed(load(REFUNDED))
    with pytest.raises(ValidationFailed, match="no currency"):
        adapter().parse_notice(body, headers)


@shared
def test_a_refund_whose_status_stays_paid_still_counts_its_refunded_amount() -> None:
    order = load("lemonsqueezy_issue_refund_response_docs.json")
    payload = {"meta": {"event_name": "order_refunded"}, "data": order}
    body, headers = signed(payload)

    notice = adapter().parse_notice(body, headers)

    assert notice.kind is NoticeKind.REFUNDED
    assert notice.refunded_total == Money("1.00", "USD")
    assert notice.amount == Money("11.99", "USD")
    assert notice.event_id == "order_refunded:1:100"


@shared
def test_each_partial_refund_of_one_order_has_its_own_event_id() -> None:
    notices = []
    for amount in (1000, 2000, 2000):
        payload = with_changes(ORDER_CREATED, refunded_amount=amount, status="partial_refund")
        payload["meta"]["event_name"] = "order_refunded"
        notices.append(adapter().parse_notice(*signed(payload)))

    assert [n.event_id for n in notices] == [
        "order_refunded:1:1000",
        "order_refunded:1:2000",
        "order_refunded:1:2000",  # a repeated delivery of the second refund
    ]
    assert [n.refunded_total for n in notices] == [
        Money("10.00", "USD"),
        Money("20.00", "USD"),
        Money("20.00", "USD"),
    ]


@shared
@pytest.mark.parametrize(
    ("changes", "refunded_total"),
    [
        pytest.param({"status": "refunded", "refunded_amount": None}, None, id="no-amount"),
        pytest.param({"status": "refunded", "refunded_amount": 0}, None, id="zero-amount"),
        pytest.param({"status": "refunded", "refunded_amount": 5899}, Money("58.99", "USD")),
    ],
)
def test_a_full_refund_without_an_amount_means_everything(
    changes: dict[str, Any], refunded_total: Money | None
) -> None:
    payload = with_changes(ORDER_CREATED, **changes)
    payload["meta"]["event_name"] = "order_refunded"

    notice = adapter().parse_notice(*signed(payload))

    assert notice.kind is NoticeKind.REFUNDED
    assert notice.refunded_total == refunded_total


@shared
def test_a_refund_event_with_no_amount_and_no_refund_status_moves_nothing() -> None:
    payload = with_changes(ORDER_CREATED, status="paid")
    payload["meta"]["event_name"] = "order_refunded"

    notice = adapter().parse_notice(*signed(payload))

    assert notice.kind is NoticeKind.IGNORED
    assert "nothing to claw back" in notice.detail


@shared
@pytest.mark.parametrize("status", ["pending", "failed", "fraudulent", "refunded"])
def test_an_order_created_that_is_not_paid_is_ignored(status: str) -> None:
    notice = adapter().parse_notice(*signed(with_changes(ORDER_CREATED, status=status)))

    assert notice.kind is NoticeKind.IGNORED
    assert status in notice.detail
    assert notice.event_id == f"order_created:1:{status}"
    assert notice.payment_id == "1"


@shared
@pytest.mark.parametrize("raw_id", ["01HZPURCHASE0000000000001", 123])
def test_the_purchase_id_comes_from_the_signed_custom_data_as_a_string(raw_id: Any) -> None:
    payload = load(ORDER_CREATED)
    payload["meta"]["custom_data"] = {"user_id": "u-7", "pack_id": "starter", "purchase_id": raw_id}

    notice = adapter().parse_notice(*signed(payload))

    assert notice.purchase_id == PurchaseId(str(raw_id))


@shared
def test_the_event_is_read_from_the_body_never_from_the_unsigned_header() -> None:
    body, headers = signed(load(ORDER_CREATED))
    headers["X-Event-Name"] = "order_refunded"

    notice = adapter().parse_notice(body, headers)

    assert (notice.kind, notice.event_name) == (NoticeKind.PAID, "order_created")


@shared
@pytest.mark.parametrize(
    ("currency", "total", "amount"),
    [
        ("JPY", 1500, "1500"),
        ("KRW", 12000, "12000"),
        ("EUR", 1859, "18.59"),
        ("BHD", 1250, "1.250"),
    ],
)
def test_totals_are_read_in_the_currencys_minor_unit(
    currency: str, total: int, amount: str
) -> None:
    payload = with_changes(ORDER_CREATED, currency=currency, total=total)

    notice = adapter().parse_notice(*signed(payload))

    assert notice.amount == Money(amount, currency)


@shared
def test_a_paid_order_without_a_total_is_malformed() -> None:
    with pytest.raises(ValidationFailed):
        adapter().parse_notice(*signed(with_changes(ORDER_CREATED, total=None)))


@pytest.mark.parametrize("event_name", ["subscription_created", "license_key_created", "new_one"])
def test_any_other_event_is_ignored_with_a_body_specific_event_id(event_name: str) -> None:
    payload = {
        "meta": {"event_name": event_name, "test_mode": False},
        "data": {"type": "subscriptions", "id": "77", "attributes": {"status": "active"}},
    }
    body, headers = signed(payload)

    notice = adapter().parse_notice(body, headers)

    digest = hashlib.sha256(body).hexdigest()[:16]
    assert notice.kind is NoticeKind.IGNORED
    assert notice.event_id == f"{event_name}:subscriptions:77:{digest}"
    assert notice.event_name == event_name
    assert notice.payment_id == "77"


# ---------------------------------------------------------------- checkout


def checkout_created(status_code: int = 201) -> httpx.Response:
    return httpx.Response(status_code, json=load("lemonsqueezy_create_checkout_response.json"))


@shared
async def test_a_checkout_is_created_with_the_documented_request_shape() -> None:
    replay = Replay(checkout_created())
    bought = purchase()

    checkout = await adapter(replay.transport).create_checkout(
        bought, pack(), email="buyer@example.com", redirect_url="https://afp.example/paid"
    )

    answer = load("lemonsqueezy_create_checkout_response.json")["data"]
    assert checkout == Checkout(checkout_url=answer["attributes"]["url"], provider_ref=answer["id"])
    [request] = replay.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.lemonsqueezy.com/v1/checkouts"
    assert request.headers["Accept"] == "application/vnd.api+json"
    assert request.headers["Content-Type"] == "application/vnd.api+json"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    sent = replay.body()
    documented = load("lemonsqueezy_create_checkout_request.json")
    assert sent["data"]["type"] == documented["data"]["type"] == "checkouts"
    assert sent["data"]["relationships"] == {
        "store": {"data": {"type": "stores", "id": STORE_ID}},
        "variant": {"data": {"type": "variants", "id": VARIANT_ID}},
    }
    for name, relation in documented["data"]["relationships"].items():
        assert sent["data"]["relationships"][name]["data"].keys() == relation["data"].keys()
        assert isinstance(sent["data"]["relationships"][name]["data"]["id"], str)
    attributes = sent["data"]["attributes"]
    assert attributes["checkout_data"] == {
        "email": "buyer@example.com",
        "custom": {"user_id": "u-7", "pack_id": "starter", "purchase_id": bought.id},
    }
    assert all(isinstance(v, str) for v in attributes["checkout_data"]["custom"].values())
    assert attributes["product_options"] == {"redirect_url": "https://afp.example/paid"}
    assert "test_mode" not in attributes


@shared
async def test_a_test_mode_checkout_says_so_and_falls_back_to_the_default_redirect() -> None:
    replay = Replay(checkout_created())
    payments = adapter(replay.transport, test_mode=True, redirect_url="https://afp.example/back")

    await payments.create_checkout(purchase(), pack(), email="", redirect_url=None)

    attributes = replay.body()["data"]["attributes"]
    assert attributes["test_mode"] is True
    assert attributes["product_options"] == {"redirect_url": "https://afp.example/back"}
    assert "email" not in attributes["checkout_data"]


@shared
async def test_without_any_redirect_no_product_options_are_sent() -> None:
    replay = Replay(checkout_created())
    await adapter(replay.transport).create_checkout(purchase(), pack(), email="", redirect_url=None)
    assert "product_options" not in replay.body()["data"]["attributes"]


@pytest.mark.parametrize(
    ("changes", "variant", "named"),
    [
        ({"api_key": None}, VARIANT_ID, "AFP_LEMONSQUEEZY_API_KEY"),
        ({"store_id": None}, VARIANT_ID, "AFP_LEMONSQUEEZY_STORE_ID"),
        ({"api_key": "", "store_id": ""}, VARIANT_ID, "AFP_LEMONSQUEEZY_API_KEY and"),
        ({}, None, "lemonsqueezy_variant_id"),
    ],
)
async def test_an_unconfigured_checkout_is_refused_before_any_request(
    changes: dict[str, Any], variant: str | None, named: str
) -> None:
    replay = Replay()
    with pytest.raises(ValidationFailed, match=named):
        await adapter(replay.transport, **changes).create_checkout(
            purchase(), pack(variant), email="buyer@example.com", redirect_url=None
        )
    assert replay.requests == []


def jsonapi_error(status: int, detail: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "jsonapi": {"version": "1.0"},
            "errors": [
                {
                    "status": str(status),
                    "title": "Unprocessable Entity",
                    "detail": detail,
                    "source": {"pointer": "/data/relationships/variant"},
                }
            ],
        },
    )


@pytest.mark.parametrize(
    ("replies", "error", "attempts"),
    [
        pytest.param([jsonapi_error(401, "Unauthenticated.")], ProviderAccountBlocked, 1, id="401"),
        pytest.param([jsonapi_error(403, "Forbidden.")], ProviderAccountBlocked, 1, id="403"),
        pytest.param([jsonapi_error(422, "variant not found")], ProviderRejected, 1, id="422"),
        pytest.param([jsonapi_error(400, "bad request")], ProviderRejected, 1, id="400"),
        pytest.param([jsonapi_error(404, "no such store")], ProviderRejected, 1, id="404"),
        pytest.param([httpx.Response(429)] * 2, ProviderUnavailable, 2, id="429"),
        pytest.param([httpx.Response(500)] * 2, ProviderUnavailable, 2, id="500"),
        pytest.param([httpx.Response(503, text="<html>")] * 2, ProviderUnavailable, 2, id="503"),
        pytest.param([httpx.ReadTimeout("slow")] * 2, ProviderUnavailable, 2, id="timeout"),
        pytest.param([httpx.ConnectError("refused")] * 2, ProviderUnavailable, 2, id="network"),
        pytest.param(
            [httpx.Response(201, text="<html>ok</html>")], ProviderUnavailable, 1, id="not-json"
        ),
        pytest.param(
            [httpx.Response(201, json={"data": {"id": "x", "attributes": {}}})],
            ProviderUnavailable,
            1,
            id="no-url",
        ),
        pytest.param(
            [
                httpx.Response(
                    201,
                    json={"data": {"id": "x", "attributes": {"url": "http://shop/checkout"}}},
                )
            ],
            ProviderUnavailable,
            1,
            id="plain-http-url",
        ),
    ],
)
async def test_checkout_failures_map_to_domain_errors(
    replies: list[httpx.Response | Exception], error: type[DomainError], attempts: int
) -> None:
    replay = Replay(*replies)

    with pytest.raises(error) as raised:
        await adapter(replay.transport).create_checkout(
            purchase(), pack(), email="buyer@example.com", redirect_url=None
        )

    assert type(raised.value) is error
    assert len(replay.requests) == attempts
    assert API_KEY not in raised.value.message


async def test_a_rejection_carries_the_json_api_error_detail() -> None:
    replay = Replay(jsonapi_error(422, "The variant must belong to the store."))
    with pytest.raises(ProviderRejected, match="The variant must belong to the store"):
        await adapter(replay.transport).create_checkout(
            purchase(), pack(), email="", redirect_url=None
        )


@shared
async def test_a_failure_that_passes_is_retried_once() -> None:
    replay = Replay(httpx.Response(502), checkout_created())
    checkout = await adapter(replay.transport).create_checkout(
        purchase(), pack(), email="", redirect_url=None
    )
    assert checkout.checkout_url.startswith("https://my-store.lemonsqueezy.com/checkout/")
    assert len(replay.requests) == 2


# ---------------------------------------------------------------- lookup and confirm


@shared
@pytest.mark.parametrize(
    ("attributes", "state", "refunded_total"),
    [
        ({"refunded_amount": 0}, ProviderPaymentState.PAID, None),
        ({}, ProviderPaymentState.PARTIALLY_REFUNDED, Money("1.00", "USD")),  # docs: paid, 100
        ({"status": "partial_refund"}, ProviderPaymentState.PARTIALLY_REFUNDED, Money("1", "USD")),
        ({"status": "refunded", "refunded_amount": 1199}, ProviderPaymentState.REFUNDED, None),
        ({"status": "refunded", "refunded_amount": 0}, ProviderPaymentState.REFUNDED, None),
        ({"status": "pending", "refunded_amount": 0}, ProviderPaymentState.PENDING, None),
        ({"status": "failed", "refunded_amount": 0}, ProviderPaymentState.FAILED, None),
        ({"status": "fraudulent", "refunded_amount": 0}, ProviderPaymentState.FAILED, None),
    ],
)
async def test_lookup_reads_the_order_and_maps_its_status(
    attributes: dict[str, Any], state: ProviderPaymentState, refunded_total: Money | None
) -> None:
    replay = Replay(order_reply(**attributes))

    payment = await adapter(replay.transport).lookup(purchase(payment_id="1"))

    assert payment.state is state
    assert payment.payment_id == "1"
    assert payment.amount == Money("11.99", "USD")
    if attributes.get("refunded_amount") == 1199:
        refunded_total = Money("11.99", "USD")
    assert payment.refunded_total == refunded_total
    [request] = replay.requests
    assert request.method == "GET"
    assert str(request.url) == "https://api.lemonsqueezy.com/v1/orders/1"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Accept"] == "application/vnd.api+json"


async def test_lookup_without_a_linked_order_is_not_found_without_asking() -> None:
    replay = Replay()
    payment = await adapter(replay.transport).lookup(purchase())
    assert payment.state is ProviderPaymentState.NOT_FOUND
    assert "no Lemon Squeezy order is linked" in payment.detail
    assert replay.requests == []


async def test_lookup_of_an_order_lemon_squeezy_does_not_know_is_not_found() -> None:
    replay = Replay(jsonapi_error(404, "Not found"))
    payment = await adapter(replay.transport).lookup(purchase(payment_id="999"))
    assert (payment.state, payment.payment_id) == (ProviderPaymentState.NOT_FOUND, "999")


@pytest.mark.parametrize(
    ("replies", "error"),
    [
        ([httpx.Response(500)] * 2, ProviderUnavailable),
        ([jsonapi_error(401, "Unauthenticated.")], ProviderAccountBlocked),
        ([httpx.Response(200, json={"data": {"id": "1"}})], ProviderUnavailable),
    ],
)
async def test_lookup_failures_raise(
    replies: list[httpx.Response], error: type[DomainError]
) -> None:
    with pytest.raises(error):
        await adapter(Replay(*replies).transport).lookup(purchase(payment_id="1"))


async def test_lookup_without_an_api_key_names_the_setting() -> None:
    with pytest.raises(ValidationFailed, match="AFP_LEMONSQUEEZY_API_KEY"):
        await adapter(api_key=None).lookup(purchase(payment_id="1"))


@shared
async def test_confirm_returns_signed_notices_unchanged_without_asking() -> None:
    replay = Replay()
    payments = adapter(replay.transport)
    for payload in (load(ORDER_CREATED), with_changes(ORDER_CREATED, status="failed")):
        notice = payments.parse_notice(*signed(payload))
        assert await payments.confirm(notice) is notice
    assert replay.requests == []


@shared
async def test_confirm_rereads_a_pending_order_and_pays_it_once_it_is_paid() -> None:
    payload = with_changes(ORDER_CREATED, status="pending")
    payload["meta"]["custom_data"] = {"purchase_id": "p-1"}
    replay = Replay(order_reply(refunded_amount=0, total=5899))
    payments = adapter(replay.transport)
    pending = payments.parse_notice(*signed(payload))

    confirmed = await payments.confirm(pending)

    assert confirmed.kind is NoticeKind.PAID
    assert confirmed.event_id == "order_created:1"
    assert confirmed.purchase_id == PurchaseId("p-1")
    assert confirmed.amount == Money("58.99", "USD")
    assert confirmed.variant_id == "1"
    assert str(replay.requests[0].url) == "https://api.lemonsqueezy.com/v1/orders/1"


@shared
@pytest.mark.parametrize(
    "reply",
    [
        lambda: order_reply(status="pending"),
        lambda: order_reply(status="paid", test_mode=True),  # another mode's: never credited
        lambda: httpx.Response(404),
        lambda: httpx.Response(401),
        lambda: httpx.ReadTimeout("slow"),
    ],
    ids=["still-pending", "other-mode", "404", "401", "timeout"],
)
async def test_confirm_keeps_the_pending_notice_when_the_order_is_not_paid_or_unreadable(
    reply: Callable[[], httpx.Response | Exception],
) -> None:
    replay = Replay(reply(), reply())
    payments = adapter(replay.transport)
    pending = payments.parse_notice(*signed(with_changes(ORDER_CREATED, status="pending")))

    assert await payments.confirm(pending) is pending


@shared
async def test_confirm_without_an_api_key_keeps_the_pending_notice() -> None:
    replay = Replay()
    payments = adapter(replay.transport, api_key=None)
    pending = payments.parse_notice(*signed(with_changes(ORDER_CREATED, status="pending")))
    assert await payments.confirm(pending) is pending
    assert replay.requests == []


# ---------------------------------------------------------------- the port


def test_the_adapter_is_a_payment_provider_that_hides_its_key() -> None:
    provider: PaymentProvider = LemonSqueezyPayments(
        api_key=API_KEY, store_id=STORE_ID, webhook_secret=SECRET
    )
    assert provider.name is PaymentProviderName.LEMONSQUEEZY
    assert API_KEY not in repr(provider)
    assert SECRET not in repr(provider)
