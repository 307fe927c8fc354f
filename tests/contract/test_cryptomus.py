"""`CryptomusPayments` against the provider reference (`docs/providers/cryptomus.md`) and the
shared fixtures in `../shared/fixtures/cryptomus/`, offline through `httpx.MockTransport`.

Signatures are checked byte for byte against every published test vector; webhooks are
refused unless their in-body `sign` matches; `confirm` trusts only `/v1/payment/info`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest

from afp_adapters.payments import cryptomus
from afp_adapters.payments.cryptomus import (
    cut_sign_member,
    encode_body,
    php_json_encode,
    sign_body,
)
from afp_core.domain.errors import (
    InvalidSignature,
    ProviderAccountBlocked,
    ProviderRejected,
    ProviderUnavailable,
    ValidationFailed,
)
from afp_core.domain.money import Money
from afp_core.domain.payments import (
    NoticeKind,
    PaymentNotice,
    PaymentProviderName,
    ProviderPaymentState,
)
from afp_core.ports.commerce import PaymentProvider
from tests.contract.cryptomus_helpers import (
    CALLBACK,
    KEY,
    MERCHANT,
    ORDER_ID,
    PURCHASE_ID,
    UUID,
    Replay,
    adapter,
    error,
    flip,
    info,
    load,
    ok,
    pack,
    purchase,
    raw,
    signed_webhook,
    vectors,
    with_sign,
)
from tests.shared_fixtures import SHARED, needs

pytestmark = pytest.mark.contract
needs_fixtures = needs(SHARED / "cryptomus")

KAT_WITH_SIGN = "cryptomus_sign_testvector_body_with_sign.json"
KAT_WITHOUT_SIGN = "cryptomus_sign_testvector_body_without_sign.json"
KAT_SIGN = "74bbcda2645b46d6143b4e4b69170911"
KAT_KEY = "uK3yP4ymentKey"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cryptomus, "RETRY_DELAYS_S", (0.0, 0.0, 0.0))


def md5_sign(body: bytes, key: str) -> str:
    """The formula of doc § 1, spelled out independently of the adapter."""
    return hashlib.md5(base64.b64encode(body) + key.encode(), usedforsecurity=False).hexdigest()


def test_the_adapter_is_a_payment_provider_named_cryptomus() -> None:
    provider: PaymentProvider = adapter()
    assert provider.name is PaymentProviderName.CRYPTOMUS
    assert KEY not in repr(provider)


# ---------------------------------------------------------------------- signature vectors


@needs_fixtures
def test_the_byte_exact_vector_files_are_unchanged() -> None:
    vector = vectors()["cryptomus_kat_php_encoding"]
    for name, digest in (
        (vector["body_without_sign_file"], vector["body_without_sign_sha256"]),
        (vector["webhook_body_with_sign_file"], vector["webhook_body_with_sign_sha256"]),
    ):
        assert hashlib.sha256(raw(name)).hexdigest() == digest, name


@needs_fixtures
def test_the_outgoing_signer_reproduces_every_cryptomus_vector() -> None:
    found = vectors()
    kat = found["cryptomus_kat_php_encoding"]
    assert sign_body(raw(kat["body_without_sign_file"]), kat["api_key"]) == kat["sign"] == KAT_SIGN
    short = found["cryptomus_kat_short"]
    assert base64.b64encode(short["body"].encode()).decode() == short["base64"]
    assert sign_body(short["body"].encode(), short["api_key"]) == short["sign"]
    assert short["sign"] == "568a9bed03b5b02f53c100cb4a6aff70"
    empty = found["cryptomus_kat_empty_body"]
    assert sign_body(empty["body"].encode(), empty["api_key"]) == empty["sign"]
    assert empty["sign"] == "25a58d07041033259964afdadc295990"
    assert sign_body(b"", KAT_KEY) == hashlib.md5(KAT_KEY.encode()).hexdigest()  # noqa: S324 -- the vector's own definition


def test_outgoing_bodies_are_compact_and_keep_utf8() -> None:
    body = encode_body({"uuid": "x"})
    assert body == b'{"uuid":"x"}'
    assert sign_body(body, KAT_KEY) == "568a9bed03b5b02f53c100cb4a6aff70"
    assert encode_body({"a": "Привет/"}) == '{"a":"Привет/"}'.encode()


@needs_fixtures
def test_cutting_the_sign_member_from_the_raw_body_gives_the_signed_bytes() -> None:
    assert cut_sign_member(raw(KAT_WITH_SIGN)) == raw(KAT_WITHOUT_SIGN)


@needs_fixtures
def test_php_re_encoding_gives_the_signed_bytes_and_naive_json_dumps_does_not() -> None:
    data = json.loads(raw(KAT_WITH_SIGN))
    del data["sign"]
    assert php_json_encode(data) == raw(KAT_WITHOUT_SIGN)
    naive = json.dumps(data).encode()
    assert naive != raw(KAT_WITHOUT_SIGN)
    assert sign_body(naive, KAT_KEY) != KAT_SIGN


def test_php_re_encoding_escapes_line_separators_like_php() -> None:
    assert php_json_encode({"a": "x\u2028y\u2029z/"}) == b'{"a":"x\\u2028y\\u2029z\\/"}'


@needs_fixtures
def test_the_known_webhook_verifies_and_is_not_an_afp_order() -> None:
    notice = adapter(payment_key=KAT_KEY).parse_notice(raw(KAT_WITH_SIGN), {})
    assert notice.kind is NoticeKind.IGNORED
    assert notice.payment_id == "62f88b36-a9d5-4fa6-aa26-e040c3dbf26d"
    assert notice.event_id == "62f88b36-a9d5-4fa6-aa26-e040c3dbf26d:paid"
    assert notice.purchase_id is None
    assert "not an AFP order" in notice.detail


@needs_fixtures
def test_an_upper_case_sign_verifies() -> None:
    body = raw(KAT_WITH_SIGN).replace(KAT_SIGN.encode(), KAT_SIGN.upper().encode())
    assert adapter(payment_key=KAT_KEY).parse_notice(body, {}).event_name == "paid"


@needs_fixtures
def test_a_re_serialised_body_is_refused_unless_reformatting_is_allowed() -> None:
    """The raw bytes are what is verified: the same content in another layout is refused. Doc
    § 5.1 method 2 (the PHP re-encoding) accepts it only when explicitly allowed, for a proxy
    known to re-format JSON."""
    reformatted = json.dumps(json.loads(raw(KAT_WITH_SIGN))).encode()
    cut = cut_sign_member(reformatted)
    assert cut is not None
    assert sign_body(cut, KAT_KEY) != KAT_SIGN
    with pytest.raises(InvalidSignature):
        adapter(payment_key=KAT_KEY).parse_notice(reformatted, {})
    lenient = adapter(payment_key=KAT_KEY, accept_reformatted=True)
    notice = lenient.parse_notice(reformatted, {})
    assert notice.event_id == "62f88b36-a9d5-4fa6-aa26-e040c3dbf26d:paid"


@needs_fixtures
def test_a_sign_computed_over_naive_json_dumps_is_refused() -> None:
    data = json.loads(raw(KAT_WITHOUT_SIGN))
    naive_sign = md5_sign(json.dumps(data).encode(), KAT_KEY)
    body = with_sign(raw(KAT_WITHOUT_SIGN), naive_sign)
    with pytest.raises(InvalidSignature):
        adapter(payment_key=KAT_KEY).parse_notice(body, {})


@needs_fixtures
@pytest.mark.parametrize(
    ("marker", "offset"),
    [
        pytest.param(b'"type":"payment"', 9, id="type"),
        pytest.param(b"62f88b36", 3, id="uuid"),
        pytest.param(b"0190f5d2", 0, id="order_id"),
        pytest.param(b'"179.00"', 3, id="amount"),
        pytest.param(b'"RUB"', 1, id="currency"),
        pytest.param(b'"paid"', 2, id="status"),
        pytest.param(b"https:\\/\\/", 6, id="escaped-slash"),
        pytest.param(b"svbg_bot", 1, id="additional_data"),
        pytest.param(b'"sign":"', 8, id="sign"),
    ],
)
def test_one_changed_byte_is_refused(marker: bytes, offset: int) -> None:
    body = flip(raw(KAT_WITH_SIGN), marker, offset)
    assert body != raw(KAT_WITH_SIGN)
    json.loads(body)  # still valid JSON: only the signature can tell
    with pytest.raises(InvalidSignature):
        adapter(payment_key=KAT_KEY).parse_notice(body, {})


@needs_fixtures
@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda without: without, id="missing"),
        pytest.param(lambda without: with_sign(without, "z" * 32), id="non-hex"),
        pytest.param(lambda without: with_sign(without, KAT_SIGN[:16]), id="too-short"),
        pytest.param(lambda without: with_sign(without, "0" * 32), id="wrong"),
        pytest.param(
            lambda without: with_sign(with_sign(without, KAT_SIGN), KAT_SIGN), id="duplicated"
        ),
        pytest.param(lambda without: without[:-1] + b',"sign":7}', id="a-number"),
        pytest.param(lambda without: without[:-1] + b',"sign":null}', id="null"),
    ],
)
def test_a_missing_malformed_duplicated_or_wrong_sign_is_refused(tamper: Any) -> None:
    body: bytes = tamper(raw(KAT_WITHOUT_SIGN))
    with pytest.raises(InvalidSignature):
        adapter(payment_key=KAT_KEY).parse_notice(body, {})


@needs_fixtures
def test_a_sign_in_a_header_does_not_count() -> None:
    with pytest.raises(InvalidSignature):
        adapter(payment_key=KAT_KEY).parse_notice(raw(KAT_WITHOUT_SIGN), {"sign": KAT_SIGN})


def test_a_sign_nested_below_the_top_level_does_not_count() -> None:
    body = signed_webhook(convert={"sign": "0" * 32})
    data = json.loads(body)
    del data["sign"]
    nested_only = php_json_encode(data)
    with pytest.raises(InvalidSignature):
        adapter().parse_notice(nested_only, {})
    assert adapter().parse_notice(body, {}).kind is NoticeKind.PAID


@pytest.mark.parametrize("key", [None, ""])
def test_without_a_payment_key_every_webhook_is_refused(key: str | None) -> None:
    with pytest.raises(InvalidSignature, match="AFP_CRYPTOMUS_PAYMENT_KEY"):
        adapter(payment_key=key).parse_notice(signed_webhook(), {})


def test_a_webhook_signed_with_another_key_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        adapter().parse_notice(signed_webhook(key="another-key"), {})


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b'{"sign":', b"[1,2]", b'"text"', b'{"a":"\xff"}', b"[" * 100_000],
)
def test_a_body_that_is_not_a_json_object_is_invalid(body: bytes) -> None:
    with pytest.raises(ValidationFailed):
        adapter().parse_notice(body, {})


def test_a_body_over_one_megabyte_is_invalid() -> None:
    padding = "x" * (cryptomus.MAX_WEBHOOK_BYTES + 1)
    with pytest.raises(ValidationFailed, match="too large"):
        adapter().parse_notice(signed_webhook(additional_data=padding), {})


def test_a_signed_webhook_without_uuid_is_invalid() -> None:
    with pytest.raises(ValidationFailed):
        adapter().parse_notice(signed_webhook(uuid=None), {})


# ---------------------------------------------------------------------- notices


def _resigned(body: bytes, key: str) -> bytes:
    """The body with its `sign` replaced by one made with `key` over the raw-cut bytes."""
    cut = cut_sign_member(body)
    assert cut is not None
    old = json.loads(body)["sign"]
    return body.replace(old.encode(), sign_body(cut, key).encode())


@needs_fixtures
def test_the_docs_webhook_re_signed_with_a_test_key_verifies_on_its_raw_bytes() -> None:
    body = _resigned(raw("cryptomus_webhook_paid.json"), KEY)
    notice = adapter().parse_notice(body, {})
    assert notice.kind is NoticeKind.IGNORED  # its order id is not one AFP issued
    assert notice.payment_id == UUID
    assert notice.event_id == f"{UUID}:paid"


@needs_fixtures
def test_the_docs_webhook_for_an_afp_order_is_a_payment_of_the_invoice_amount() -> None:
    docs = raw("cryptomus_webhook_paid.json").replace(
        b"97a75bf8eda5cca41ba9d2e104840fcd", ORDER_ID.encode()
    )
    notice = adapter().parse_notice(_resigned(docs, KEY), {})
    assert notice == PaymentNotice(
        provider=PaymentProviderName.CRYPTOMUS,
        event_id=f"{UUID}:paid",
        kind=NoticeKind.PAID,
        purchase_id=PURCHASE_ID,
        payment_id=UUID,
        amount=Money("3.00000000", "TRX"),
        event_name="paid",
    )


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("paid", NoticeKind.PAID),
        ("paid_over", NoticeKind.PAID),
        ("wrong_amount", NoticeKind.UNDERPAID),
        ("refund_paid", NoticeKind.REFUNDED),
        ("check", NoticeKind.IGNORED),
        ("process", NoticeKind.IGNORED),
        ("confirm_check", NoticeKind.IGNORED),
        ("wrong_amount_waiting", NoticeKind.IGNORED),
        ("locked", NoticeKind.IGNORED),
        ("cancel", NoticeKind.IGNORED),
        ("fail", NoticeKind.IGNORED),
        ("system_fail", NoticeKind.IGNORED),
        ("refund_process", NoticeKind.IGNORED),
        ("refund_fail", NoticeKind.IGNORED),
        ("something_new", NoticeKind.IGNORED),
    ],
)
def test_each_status_maps_to_a_notice_kind(status: str, kind: NoticeKind) -> None:
    notice = adapter().parse_notice(signed_webhook(status=status), {})
    assert notice.kind is kind
    assert notice.event_id == f"{UUID}:{status}"
    assert notice.event_name == status
    assert notice.purchase_id == PURCHASE_ID
    assert notice.payment_id == UUID
    if kind is NoticeKind.IGNORED:
        assert status in notice.detail


def test_an_overpayment_credits_the_invoice_amount() -> None:
    body = signed_webhook(status="paid_over", payment_amount="9.50")
    notice = adapter().parse_notice(body, {})
    assert notice.amount == Money("9.00", "USD")


def test_an_underpayment_says_what_arrived() -> None:
    body = signed_webhook(status="wrong_amount", payment_amount="4.10", payer_currency="USDT")
    notice = adapter().parse_notice(body, {})
    assert notice.kind is NoticeKind.UNDERPAID
    assert notice.amount == Money("9.00", "USD")
    assert "4.10 USDT" in notice.detail


def test_a_refund_is_a_full_refund() -> None:
    notice = adapter().parse_notice(signed_webhook(status="refund_paid"), {})
    assert notice.kind is NoticeKind.REFUNDED
    assert notice.refunded_total is None


def test_a_payment_in_a_currency_money_cannot_hold_is_invalid() -> None:
    with pytest.raises(ValidationFailed):
        adapter().parse_notice(signed_webhook(currency="USDT"), {})


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"type": "wallet"}, id="static-wallet"),
        pytest.param({"order_id": "97a75bf8eda5cca41ba9d2e104840fcd"}, id="foreign-order"),
        pytest.param({"order_id": "afp-"}, id="no-purchase-id"),
        pytest.param({"order_id": None}, id="no-order"),
    ],
)
def test_events_that_are_not_afp_invoices_are_ignored(fields: dict[str, Any]) -> None:
    notice = adapter().parse_notice(signed_webhook(**fields), {})
    assert notice.kind is NoticeKind.IGNORED
    assert notice.purchase_id is None
    assert notice.detail


# ---------------------------------------------------------------------- confirm


def _paid_notice(status: str = "paid") -> PaymentNotice:
    return adapter().parse_notice(signed_webhook(status=status), {})


@needs_fixtures
async def test_confirm_keeps_a_notice_the_payment_info_agrees_with() -> None:
    replay = Replay(ok(info("paid")))
    notice = _paid_notice()
    assert await adapter(replay).confirm(notice) == notice
    request = replay.requests[0]
    assert request.url == "https://api.cryptomus.com/v1/payment/info"
    assert request.content == b'{"uuid":"' + UUID.encode() + b'"}'
    assert request.headers["sign"] == md5_sign(request.content, KEY)
    assert request.headers["merchant"] == MERCHANT


@needs_fixtures
async def test_confirm_takes_the_amount_from_the_payment_info() -> None:
    notice = _paid_notice()
    confirmed = await adapter(Replay(ok(info("paid_over", amount="9.00")))).confirm(
        attrs.evolve(notice, amount=Money("1.00", "USD"))
    )
    assert confirmed.kind is NoticeKind.PAID
    assert confirmed.event_id == notice.event_id
    assert confirmed.amount == Money("9.00", "USD")


@needs_fixtures
async def test_confirm_ignores_a_paid_webhook_the_payment_info_does_not_back() -> None:
    notice = _paid_notice()
    confirmed = await adapter(Replay(ok(info("check")))).confirm(notice)
    assert confirmed.kind is NoticeKind.IGNORED
    assert confirmed.detail == "payment info says check"
    assert confirmed.event_id == f"{UUID}:paid:unconfirmed:check"
    genuine = {f"{UUID}:{status}" for status in ("check", "paid", "paid_over", "refund_paid")}
    assert confirmed.event_id not in genuine


@needs_fixtures
@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"order_id": "afp-SOMEONEELSE"}, id="another-order"),
        pytest.param({"order_id": "65bbe87b4098c17a31cff3e71e515243"}, id="foreign-order"),
        pytest.param({"uuid": "70b8db5c-b952-406d-af26-4e1c34c27f15"}, id="another-invoice"),
    ],
)
async def test_confirm_ignores_a_webhook_whose_invoice_is_not_that_order(
    changes: dict[str, Any],
) -> None:
    confirmed = await adapter(Replay(ok(info("paid", **changes)))).confirm(_paid_notice())
    assert confirmed.kind is NoticeKind.IGNORED
    assert confirmed.event_id.startswith(f"{UUID}:paid:unconfirmed:")
    assert "order" in confirmed.detail


@needs_fixtures
async def test_confirm_ignores_a_webhook_for_an_invoice_cryptomus_does_not_know() -> None:
    confirmed = await adapter(Replay(error("resend_payment_not_found"))).confirm(_paid_notice())
    assert confirmed.kind is NoticeKind.IGNORED
    assert confirmed.event_id == f"{UUID}:paid:unconfirmed:not_found"


@needs_fixtures
async def test_confirm_follows_the_payment_when_it_has_moved_on_to_a_refund() -> None:
    confirmed = await adapter(Replay(ok(info("refund_paid")))).confirm(_paid_notice())
    assert confirmed.kind is NoticeKind.REFUNDED
    assert confirmed.event_id == f"{UUID}:refund_paid"  # shares the refund webhook's id
    assert confirmed.refunded_total is None


@needs_fixtures
async def test_confirm_keeps_an_underpayment_the_payment_info_agrees_with() -> None:
    notice = _paid_notice("wrong_amount")
    assert await adapter(Replay(ok(info("wrong_amount")))).confirm(notice) == notice


async def test_confirm_returns_an_ignored_notice_without_calling_cryptomus() -> None:
    replay = Replay()
    notice = adapter().parse_notice(signed_webhook(status="check"), {})
    assert await adapter(replay).confirm(notice) is notice
    assert replay.requests == []


def _failures(case: str) -> list[httpx.Response | Exception]:
    """Scripted answers of a call that fails, by name (built late: they read fixtures)."""
    table: dict[str, list[httpx.Response | Exception]] = {
        "500": [error("server_error_500", 500) for _ in range(3)],
        "502-html": [httpx.Response(502, text="<html>Bad Gateway</html>") for _ in range(3)],
        "timeout": [httpx.ReadTimeout("slow") for _ in range(3)],
        "network": [httpx.ConnectError("refused") for _ in range(3)],
        "401": [httpx.Response(401, text="Unauthorized")],
        "422": [error("info_422_required_without", 422)],
    }
    return table[case]


@needs_fixtures
@pytest.mark.parametrize("case", ["500", "502-html", "timeout", "network", "401", "422"])
async def test_confirm_raises_unavailable_when_the_payment_info_cannot_be_read(case: str) -> None:
    replay = Replay(*_failures(case))
    with pytest.raises(ProviderUnavailable):
        await adapter(replay).confirm(_paid_notice())
    assert replay.replies == []


async def test_confirm_without_a_merchant_id_is_unavailable() -> None:
    with pytest.raises(ProviderUnavailable, match="AFP_CRYPTOMUS_MERCHANT_ID"):
        await adapter(merchant_id=None).confirm(_paid_notice())


# ---------------------------------------------------------------------- create_checkout


@needs_fixtures
async def test_create_checkout_posts_a_signed_invoice_and_returns_the_payment_page() -> None:
    response = load("cryptomus_create_invoice_response.json")
    replay = Replay(httpx.Response(200, json=response))
    checkout = await adapter(replay).create_checkout(
        purchase(), pack(), email="a@example.com", redirect_url="https://afp.example/thanks"
    )
    assert checkout.checkout_url == response["result"]["url"]
    assert checkout.checkout_url == (
        "https://pay.cryptomus.com/pay/26109ba0-b05b-4ee0-93d1-fd62c822ce95"
    )
    assert checkout.provider_ref == response["result"]["uuid"]
    (request,) = replay.requests
    assert request.method == "POST"
    assert request.url == "https://api.cryptomus.com/v1/payment"
    assert request.headers["merchant"] == MERCHANT
    assert request.headers["content-type"] == "application/json"
    assert request.headers["sign"] == md5_sign(request.content, KEY)
    expected = {
        "amount": "9.00",
        "currency": "USD",
        "order_id": ORDER_ID,
        "url_callback": CALLBACK,
        "url_return": "https://afp.example/thanks",
        "url_success": "https://afp.example/thanks",
        "lifetime": 3600,
        "additional_data": PURCHASE_ID,
    }
    assert json.loads(request.content) == expected
    assert request.content == json.dumps(expected, separators=(",", ":")).encode()


@needs_fixtures
async def test_create_checkout_sends_the_fields_of_the_sdk_example_as_strings() -> None:
    """The official SDK's request: `amount` a string, `order_id` alpha_dash, `url_*` URLs."""
    sdk = load("cryptomus_create_invoice_request.json")
    replay = Replay(ok(load("cryptomus_create_invoice_response.json")["result"]))
    await adapter(replay).create_checkout(purchase(), pack(), email="", redirect_url=None)
    sent = replay.body()
    for field in ("amount", "currency", "order_id", "url_return", "url_callback"):
        assert isinstance(sent[field], str) is isinstance(sdk[field], str), field


@needs_fixtures
@pytest.mark.parametrize(
    ("price", "amount"),
    [("129", "129"), ("10.50", "10.50"), ("1E+1", "10"), ("0.000001", "0.000001")],
)
async def test_amounts_are_sent_as_plain_decimal_strings(price: str, amount: str) -> None:
    replay = Replay(ok(load("cryptomus_create_invoice_response.json")["result"]))
    await adapter(replay).create_checkout(
        purchase(price=Money(Decimal(price), "USD")), pack(), email="", redirect_url=None
    )
    assert replay.body()["amount"] == amount


@needs_fixtures
async def test_without_a_redirect_the_configured_return_url_is_used_or_none_is_sent() -> None:
    result = load("cryptomus_create_invoice_response.json")["result"]
    replay = Replay(ok(result), ok(result))
    await adapter(replay).create_checkout(purchase(), pack(), email="", redirect_url=None)
    await adapter(replay, return_url=None).create_checkout(
        purchase(), pack(), email="", redirect_url=None
    )
    assert replay.body(0)["url_return"] == replay.body(0)["url_success"]
    assert replay.body(0)["url_return"] == "https://afp.example/billing"
    assert "url_return" not in replay.body(1)
    assert "url_success" not in replay.body(1)


@pytest.mark.parametrize(
    ("setting", "changes"),
    [
        ("AFP_CRYPTOMUS_MERCHANT_ID", {"merchant_id": None}),
        ("AFP_CRYPTOMUS_PAYMENT_KEY", {"payment_key": None}),
        ("AFP_CRYPTOMUS_PAYMENT_KEY", {"payment_key": ""}),
        ("AFP_PUBLIC_BASE_URL", {"callback_url": None}),
    ],
)
async def test_create_checkout_without_settings_names_the_missing_one(
    setting: str, changes: dict[str, Any]
) -> None:
    replay = Replay()
    with pytest.raises(ValidationFailed, match=setting):
        await adapter(replay, **changes).create_checkout(
            purchase(), pack(), email="", redirect_url=None
        )
    assert replay.requests == []


@pytest.mark.parametrize(
    "purchase_id", ["X" * 29, "has space", "with/slash", "dot.ted", "ünïcode", ""]
)
async def test_a_purchase_id_that_cannot_be_an_order_id_is_invalid(purchase_id: str) -> None:
    replay = Replay()
    with pytest.raises(ValidationFailed):
        await adapter(replay).create_checkout(
            purchase(purchase_id), pack(), email="", redirect_url=None
        )
    assert replay.requests == []


@needs_fixtures
async def test_a_28_character_purchase_id_makes_a_32_character_order_id() -> None:
    replay = Replay(ok(load("cryptomus_create_invoice_response.json")["result"]))
    await adapter(replay).create_checkout(
        purchase("A_b-" + "9" * 24), pack(), email="", redirect_url=None
    )
    assert replay.body()["order_id"] == "afp-A_b-" + "9" * 24
    assert len(replay.body()["order_id"]) == 32


def test_an_invoice_lifetime_outside_cryptomus_limits_is_refused() -> None:
    with pytest.raises(ValueError, match="43200"):
        adapter(lifetime_s=60)


async def test_a_refused_key_blocks_the_account() -> None:
    replay = Replay(httpx.Response(401, text="Unauthorized"))
    with pytest.raises(ProviderAccountBlocked, match="AFP_CRYPTOMUS_PAYMENT_KEY"):
        await adapter(replay).create_checkout(purchase(), pack(), email="", redirect_url=None)
    assert len(replay.requests) == 1


@needs_fixtures
async def test_a_validation_error_is_a_rejection_naming_the_field() -> None:
    replay = Replay(error("validation_422_required", 422))
    with pytest.raises(ProviderRejected, match=r"amount: validation\.required"):
        await adapter(replay).create_checkout(purchase(), pack(), email="", redirect_url=None)
    assert len(replay.requests) == 1


@needs_fixtures
@pytest.mark.parametrize(
    "case", ["network_not_found", "currency_not_found", "forbidden", "minimum_amount"]
)
@pytest.mark.parametrize("status_code", [200, 400])
async def test_a_business_error_is_a_rejection_with_its_message(
    case: str, status_code: int
) -> None:
    message = load("cryptomus_error_responses.json")[case]["message"]
    replay = Replay(error(case, status_code))
    with pytest.raises(ProviderRejected) as caught:
        await adapter(replay).create_checkout(purchase(), pack(), email="", redirect_url=None)
    assert message in caught.value.message
    assert len(replay.requests) == 1


@needs_fixtures
@pytest.mark.parametrize("case", ["500", "502-html", "timeout", "network"])
async def test_a_server_error_is_tried_three_times_with_the_same_bytes_then_unavailable(
    case: str,
) -> None:
    replay = Replay(*_failures(case))
    with pytest.raises(ProviderUnavailable, match="3 attempts"):
        await adapter(replay).create_checkout(purchase(), pack(), email="", redirect_url=None)
    assert len(replay.requests) == 3
    assert len({request.content for request in replay.requests}) == 1
    assert len({request.headers["sign"] for request in replay.requests}) == 1


@needs_fixtures
async def test_a_retry_after_a_server_error_returns_the_same_invoice() -> None:
    response = load("cryptomus_create_invoice_response.json")
    replay = Replay(
        error("server_error_500", 500),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json=response),
    )
    checkout = await adapter(replay).create_checkout(
        purchase(), pack(), email="", redirect_url=None
    )
    assert checkout.provider_ref == response["result"]["uuid"]
    assert {replay.body(i)["order_id"] for i in range(3)} == {ORDER_ID}


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(httpx.Response(200, json={"state": 0, "result": []}), id="empty-result"),
        pytest.param(httpx.Response(200, json={"state": 0, "result": {"uuid": "u"}}), id="no-url"),
        pytest.param(httpx.Response(200, text="<html>maintenance</html>"), id="not-json"),
    ],
)
async def test_a_success_without_a_payment_page_is_unavailable(reply: httpx.Response) -> None:
    with pytest.raises(ProviderUnavailable):
        await adapter(Replay(reply)).create_checkout(
            purchase(), pack(), email="", redirect_url=None
        )


# ---------------------------------------------------------------------- lookup


@needs_fixtures
async def test_lookup_reads_the_invoice_by_order_id() -> None:
    docs = load("cryptomus_payment_info_response.json")
    docs["result"]["order_id"] = ORDER_ID  # the docs' cancelled invoice, as one of ours
    replay = Replay(httpx.Response(200, json=docs))
    payment = await adapter(replay).lookup(purchase())
    assert payment.state is ProviderPaymentState.FAILED
    assert payment.payment_id == "70b8db5c-b952-406d-af26-4e1c34c27f15"
    assert payment.amount is None  # USDT is not an ISO 4217 code Money can hold
    assert payment.detail == "cancel"
    request = replay.requests[0]
    assert request.url == "https://api.cryptomus.com/v1/payment/info"
    assert request.content == b'{"order_id":"' + ORDER_ID.encode() + b'"}'
    assert request.headers["sign"] == md5_sign(request.content, KEY)


@needs_fixtures
@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("paid", ProviderPaymentState.PAID),
        ("paid_over", ProviderPaymentState.PAID),
        ("wrong_amount", ProviderPaymentState.UNDERPAID),
        ("refund_paid", ProviderPaymentState.REFUNDED),
        ("refund_process", ProviderPaymentState.PAID),
        ("refund_fail", ProviderPaymentState.PAID),
        ("check", ProviderPaymentState.PENDING),
        ("process", ProviderPaymentState.PENDING),
        ("confirm_check", ProviderPaymentState.PENDING),
        ("wrong_amount_waiting", ProviderPaymentState.PENDING),
        ("locked", ProviderPaymentState.PENDING),
        ("cancel", ProviderPaymentState.FAILED),
        ("fail", ProviderPaymentState.FAILED),
        ("system_fail", ProviderPaymentState.FAILED),
        ("something_new", ProviderPaymentState.PENDING),
    ],
)
async def test_lookup_maps_each_status(status: str, state: ProviderPaymentState) -> None:
    payment = await adapter(Replay(ok(info(status)))).lookup(purchase())
    assert payment.state is state
    assert payment.payment_id == UUID
    assert payment.amount == Money("9.00", "USD")


@needs_fixtures
async def test_lookup_of_an_order_cryptomus_does_not_know_is_not_found() -> None:
    payment = await adapter(Replay(error("resend_payment_not_found"))).lookup(purchase())
    assert payment.state is ProviderPaymentState.NOT_FOUND
    assert payment.payment_id is None


@needs_fixtures
async def test_lookup_answered_for_another_order_is_unavailable() -> None:
    with pytest.raises(ProviderUnavailable):
        await adapter(Replay(ok(info("paid", order_id="afp-OTHER")))).lookup(purchase())


@needs_fixtures
@pytest.mark.parametrize(
    ("case", "raised"),
    [
        ("500", ProviderUnavailable),
        ("timeout", ProviderUnavailable),
        ("401", ProviderAccountBlocked),
        ("422", ProviderRejected),
    ],
)
async def test_lookup_failures(case: str, raised: type[Exception]) -> None:
    with pytest.raises(raised):
        await adapter(Replay(*_failures(case))).lookup(purchase())
