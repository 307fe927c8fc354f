"""`LemonSqueezyPayments`: the `PaymentProvider` port on Lemon Squeezy (card payments).

Reference: `../shared/docs/providers/lemonsqueezy.md` (section numbers below point there).

Checkouts (§ 2): `POST /v1/checkouts` (JSON:API, string relationship ids) carrying
`checkout_data.custom = {user_id, pack_id, purchase_id}` as strings; the buyer is sent to the
signed `data.attributes.url`. Repeating a checkout creation is harmless (an unpaid checkout
costs nothing), so a failure that may pass is retried once and then `ProviderUnavailable`.

Webhooks (§ 4, § 5): `X-Signature` is the lowercase hex HMAC-SHA256 of the *raw* body with the
signing secret. Bodies are PHP-made (`\\/` escapes), so the bytes are hashed exactly as
received and parsed only after they verify. With no secret every delivery is refused. The
event is read from the signed `meta.event_name`, never from the unsigned `X-Event-Name` header.

Mode (§ 11.4): an event whose stated `test_mode` (in `meta` or in the order's attributes)
differs from the adapter's is `IGNORED`. A trimmed payload that states neither is taken as it
is: test and live webhooks have separate signing secrets, which already keep them apart.

Money (§ 5, § 7): amounts are integers in the currency's minor unit (cents; whole yen for JPY);
`order_refunded` carries the *cumulative* `refunded_amount`, so a refund notice says how much
has been refunded in all, and the core claws back the difference.

The API key lives only in an `httpx.Auth` given to Lemon Squeezy's API calls; reprs hide it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
from collections.abc import Generator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

import attrs
import httpx

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
    ProviderPayment,
    ProviderPaymentState,
    Purchase,
)
from afp_core.domain.pricing import CreditPack

DEFAULT_BASE_URL = "https://api.lemonsqueezy.com"
SIGNATURE_HEADER = "x-signature"
MAX_WEBHOOK_BYTES = 1024 * 1024
JSON_API = "application/vnd.api+json"

ORDER_CREATED = "order_created"
ORDER_REFUNDED = "order_refunded"
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
# ISO 4217 currencies whose minor unit is not the cent (every other one has two decimals)
_MINOR_UNIT_DIGITS = {
    **dict.fromkeys(
        (
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
            "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}  # fmt: skip
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class _BearerAuth(httpx.Auth):
    """Adds `Authorization: Bearer <key>` to Lemon Squeezy's API calls; the repr hides it."""

    def __init__(self, api_key: str) -> None:
        self._value = f"Bearer {api_key}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._value
        yield request

    def __repr__(self) -> str:
        return "<Lemon Squeezy API key auth (hidden)>"


@attrs.frozen
class _Order:
    """The parts of an order object (webhook `data` or API `data`) the adapter reads."""

    id: str
    status: str
    total: Money | None
    refunded_amount: int | None
    refunded_total: Money | None
    refunded_flag: bool
    variant_id: str | None
    test_mode: bool | None


class LemonSqueezyPayments:
    """Implements `PaymentProvider` on Lemon Squeezy.

    `api_key` and `store_id` are needed to create checkouts and read orders, `webhook_secret`
    to accept webhooks; missing ones refuse only the calls that need them. `test_mode`
    says which mode this server runs in: events of the other mode are ignored. `transport`
    is for tests (`httpx.MockTransport`).
    """

    name = PaymentProviderName.LEMONSQUEEZY
    # pauses before the retries of a call that failed in a way that may pass (one retry)
    retry_delays_s: tuple[float, ...] = (0.5,)

    def __init__(
        self,
        *,
        api_key: str | None,
        store_id: str | None,
        webhook_secret: str | None,
        test_mode: bool = False,
        redirect_url: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        self._auth = _BearerAuth(api_key) if api_key else None
        self._store_id = str(store_id).strip() if store_id else None
        self._secret = webhook_secret.encode() if webhook_secret else None
        self.test_mode = test_mode
        self._redirect_url = redirect_url or None
        self._base_url = base_url.rstrip("/")
        self._transport = transport
        self._timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))

    def __repr__(self) -> str:
        return (
            f"LemonSqueezyPayments(store_id={self._store_id!r}, test_mode={self.test_mode}, "
            f"api_key={'set' if self._auth else 'unset'}, "
            f"webhook_secret={'set' if self._secret else 'unset'})"
        )

    # ------------------------------------------------------------------ checkout

    async def create_checkout(
        self, purchase: Purchase, pack: CreditPack, *, email: str, redirect_url: str | None
    ) -> Checkout:
        missing = [
            setting
            for setting, value in (
                ("AFP_LEMONSQUEEZY_API_KEY", self._auth),
                ("AFP_LEMONSQUEEZY_STORE_ID", self._store_id),
            )
            if not value
        ]
        if missing:
            raise ValidationFailed(
                f"Lemon Squeezy checkout is not configured: {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set"
            )
        if not pack.lemonsqueezy_variant_id:
            raise ValidationFailed(
                f"credit pack {pack.id!r} has no lemonsqueezy_variant_id: set it in "
                "AFP_CREDIT_PACKS to sell the pack through Lemon Squeezy"
            )
        if purchase.pack_id != pack.id:
            raise ValidationFailed(f"purchase {purchase.id} is for pack {purchase.pack_id!r}")
        body = self._checkout_body(purchase, pack, email=email, redirect_url=redirect_url)
        action = "create a checkout"
        response = await self._send("POST", "/v1/checkouts", action=action, body=body)
        if not response.is_success:
            raise _api_error(response, action=action)
        data = _dict(_json(response, action=action).get("data"))
        url = _dict(data.get("attributes")).get("url")
        checkout_id = data.get("id")
        if not isinstance(url, str) or not _is_https(url) or not isinstance(checkout_id, str):
            raise ProviderUnavailable(
                f"Lemon Squeezy could not {action}: the answer has no https checkout URL "
                f"(HTTP {response.status_code}, {response.text[:200]!r})"
            )
        return Checkout(checkout_url=url, provider_ref=checkout_id)

    def _checkout_body(
        self, purchase: Purchase, pack: CreditPack, *, email: str, redirect_url: str | None
    ) -> dict[str, Any]:
        checkout_data: dict[str, Any] = {
            "custom": {
                "user_id": str(purchase.user_id),
                "pack_id": str(purchase.pack_id),
                "purchase_id": str(purchase.id),
            }
        }
        if email:
            checkout_data = {"email": email, **checkout_data}
        attributes: dict[str, Any] = {"checkout_data": checkout_data}
        landing = redirect_url or self._redirect_url
        if landing:
            attributes["product_options"] = {"redirect_url": landing}
        if self.test_mode:
            attributes["test_mode"] = True
        return {
            "data": {
                "type": "checkouts",
                "attributes": attributes,
                "relationships": {
                    "store": {"data": {"type": "stores", "id": str(self._store_id)}},
                    "variant": {
                        "data": {"type": "variants", "id": str(pack.lemonsqueezy_variant_id)}
                    },
                },
            }
        }

    # ------------------------------------------------------------------ webhooks

    def parse_notice(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        if self._secret is None:
            raise InvalidSignature(
                "Lemon Squeezy webhooks are refused: AFP_LEMONSQUEEZY_WEBHOOK_SECRET is not set"
            )
        if len(body) > MAX_WEBHOOK_BYTES:
            raise ValidationFailed(
                f"Lemon Squeezy webhook body of {len(body)} bytes exceeds {MAX_WEBHOOK_BYTES}"
            )
        _verify(self._secret, body, headers)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise ValidationFailed(f"Lemon Squeezy webhook body is not JSON: {exc}") from exc
        if not isinstance(payload, dict):
            raise ValidationFailed("Lemon Squeezy webhook body is not a JSON object")
        meta = _dict(payload.get("meta"))
        event_name = meta.get("event_name")
        if not isinstance(event_name, str) or not event_name:
            raise ValidationFailed("Lemon Squeezy webhook has no meta.event_name")
        data = _dict(payload.get("data"))
        attributes = _dict(data.get("attributes"))
        custom = _dict(meta.get("custom_data"))
        raw_purchase = custom.get("purchase_id")
        purchase_id = PurchaseId(str(raw_purchase)) if raw_purchase not in (None, "") else None
        generic = PaymentNotice(
            provider=self.name,
            event_id=(
                f"{event_name}:{_text(data.get('type'))}:{_text(data.get('id'))}:"
                f"{hashlib.sha256(body).hexdigest()[:16]}"
            ),
            kind=NoticeKind.IGNORED,
            purchase_id=purchase_id,
            payment_id=_text(data.get("id")),
            event_name=event_name,
        )
        refusal = self._mode_refusal(meta.get("test_mode"), attributes.get("test_mode"))
        if refusal:
            return attrs.evolve(generic, detail=refusal)
        if event_name == ORDER_CREATED:
            return self._order_created(_order(data, event_name), purchase_id)
        if event_name == ORDER_REFUNDED:
            return self._order_refunded(_order(data, event_name), purchase_id)
        return attrs.evolve(generic, detail=f"event {event_name!r} moves no credits")

    def _mode_refusal(self, *stated: object) -> str:
        flags = {flag for flag in stated if isinstance(flag, bool)}
        if flags and flags != {self.test_mode}:
            if self.test_mode:
                return "live-mode event refused in test mode"
            return "test-mode event refused in live mode"
        return ""

    def _order_created(self, order: _Order, purchase_id: PurchaseId | None) -> PaymentNotice:
        notice = PaymentNotice(
            provider=self.name,
            event_id=f"{ORDER_CREATED}:{order.id}",
            kind=NoticeKind.PAID,
            purchase_id=purchase_id,
            payment_id=order.id,
            amount=order.total,
            variant_id=order.variant_id,
            event_name=ORDER_CREATED,
        )
        if order.status == "paid":
            if order.total is None:
                raise ValidationFailed(f"paid Lemon Squeezy order {order.id} has no total")
            return notice
        return attrs.evolve(
            notice,
            kind=NoticeKind.IGNORED,
            event_id=f"{ORDER_CREATED}:{order.id}:{order.status or 'unknown'}",
            detail=f"order {order.id} was created with status {order.status!r}, not paid",
        )

    def _order_refunded(self, order: _Order, purchase_id: PurchaseId | None) -> PaymentNotice:
        notice = PaymentNotice(
            provider=self.name,
            event_id=f"{ORDER_REFUNDED}:{order.id}:{order.refunded_amount or 0}",
            kind=NoticeKind.REFUNDED,
            purchase_id=purchase_id,
            payment_id=order.id,
            amount=order.total,
            refunded_total=order.refunded_total,
            variant_id=order.variant_id,
            event_name=ORDER_REFUNDED,
            detail=f"status {order.status!r}, refunded_amount {order.refunded_amount}",
        )
        if order.refunded_total is not None:
            return notice
        if order.status == "refunded" or order.refunded_flag:
            return attrs.evolve(notice, detail=f"order {order.id} refunded in full")
        return attrs.evolve(
            notice,
            kind=NoticeKind.IGNORED,
            detail=(
                f"order_refunded for order {order.id} with status {order.status!r} and no "
                "refunded_amount: nothing to claw back"
            ),
        )

    # ------------------------------------------------------------------ confirm, lookup

    async def confirm(self, notice: PaymentNotice) -> PaymentNotice:
        """Signed webhooks are authoritative. Only an order created `pending` is read again
        (no event announces its later `pending -> paid`, § 7); if it is paid now, the PAID
        notice is returned. Any failure to read keeps the original notice."""
        pending_id = f"{ORDER_CREATED}:{notice.payment_id}:pending"
        if (
            notice.kind is not NoticeKind.IGNORED
            or notice.event_id != pending_id
            or self._auth is None
        ):
            return notice
        try:
            order = await self._read_order(notice.payment_id)
        except DomainError:
            return notice
        if order is None or order.status != "paid" or order.total is None:
            return notice
        if self._mode_refusal(order.test_mode):
            return notice
        return attrs.evolve(
            notice,
            kind=NoticeKind.PAID,
            event_id=f"{ORDER_CREATED}:{order.id}",
            amount=order.total,
            variant_id=order.variant_id or notice.variant_id,
            detail=f"order {order.id} was pending when created and is paid on re-reading",
        )

    async def lookup(self, purchase: Purchase) -> ProviderPayment:
        if not purchase.payment_id:
            return ProviderPayment(
                ProviderPaymentState.NOT_FOUND,
                detail=(
                    "no Lemon Squeezy order is linked: the checkout was not completed or its "
                    "webhook never arrived"
                ),
            )
        if self._auth is None:
            raise ValidationFailed(
                "Lemon Squeezy orders cannot be read: AFP_LEMONSQUEEZY_API_KEY is not set"
            )
        order = await self._read_order(purchase.payment_id)
        if order is None:
            return ProviderPayment(
                ProviderPaymentState.NOT_FOUND,
                payment_id=purchase.payment_id,
                detail=f"Lemon Squeezy knows no order {purchase.payment_id}",
            )
        return ProviderPayment(
            _order_state(order),
            payment_id=order.id,
            amount=order.total,
            refunded_total=order.refunded_total,  # None on a full refund that states no amount
            detail=f"order status {order.status!r}",
        )

    async def _read_order(self, order_id: str) -> _Order | None:
        """The order as the API has it now; None when it does not exist (404)."""
        action = f"read order {order_id}"
        response = await self._send("GET", f"/v1/orders/{quote(order_id, safe='')}", action=action)
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise _api_error(response, action=action)
        try:
            return _order(_dict(_json(response, action=action).get("data")), "order")
        except ValidationFailed as exc:
            raise ProviderUnavailable(f"Lemon Squeezy could not {action}: {exc.message}") from exc

    # ------------------------------------------------------------------ HTTP

    async def _send(
        self, method: str, path: str, *, action: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """One API call, repeated after a pause when it fails in a way that may pass; the last
        such failure raises `ProviderUnavailable`. Other answers are returned as they are."""
        if self._auth is None:
            raise ValidationFailed(
                f"Lemon Squeezy cannot {action}: AFP_LEMONSQUEEZY_API_KEY is not set"
            )
        url = f"{self._base_url}{path}"
        content = json.dumps(body).encode() if body is not None else None
        delays = list(self.retry_delays_s)
        async with httpx.AsyncClient(
            transport=self._transport, timeout=self._timeout, auth=self._auth
        ) as client:
            while True:
                outcome = await _attempt(client, method, url, content, action=action)
                if isinstance(outcome, httpx.Response):
                    return outcome
                if not delays:
                    raise outcome
                await asyncio.sleep(delays.pop(0))


# ---------------------------------------------------------------------- helpers


async def _attempt(
    client: httpx.AsyncClient, method: str, url: str, content: bytes | None, *, action: str
) -> httpx.Response | ProviderUnavailable:
    """The answer, or the `ProviderUnavailable` a failure that may pass is (not raised)."""
    headers = {"Accept": JSON_API, "Content-Type": JSON_API}
    try:
        response = await client.request(method, url, headers=headers, content=content)
    except httpx.TimeoutException as exc:
        error = ProviderUnavailable(f"Lemon Squeezy could not {action}: timed out")
        error.__cause__ = exc
        return error
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        error = ProviderUnavailable(
            f"Lemon Squeezy could not {action}: {type(exc).__name__}: {exc}"
        )
        error.__cause__ = exc
        return error
    if response.status_code in _RETRY_STATUSES:
        return ProviderUnavailable(
            f"Lemon Squeezy could not {action} (HTTP {response.status_code}: "
            f"{_error_detail(response)})"
        )
    return response


def _verify(secret: bytes, body: bytes, headers: Mapping[str, str]) -> None:
    """`X-Signature` must be the hex HMAC-SHA256 of the raw body (compared in constant time)."""
    given = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
    if given is None:
        raise InvalidSignature("Lemon Squeezy webhook has no X-Signature header")
    signature = given.strip().lower()
    if not _HEX_SHA256.fullmatch(signature):
        raise InvalidSignature("Lemon Squeezy X-Signature is not a hex SHA-256 digest")
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise InvalidSignature("Lemon Squeezy webhook signature does not match the body")


def _api_error(response: httpx.Response, *, action: str) -> DomainError:
    """The domain error for a non-2xx answer that is not worth repeating now."""
    status = response.status_code
    said = f"Lemon Squeezy could not {action} (HTTP {status}: {_error_detail(response)})"
    if status in (401, 403):
        return ProviderAccountBlocked(
            f"{said}: Lemon Squeezy refused our API key; check AFP_LEMONSQUEEZY_API_KEY (keys "
            "are per mode and expire after a year) and AFP_LEMONSQUEEZY_STORE_ID"
        )
    if 400 <= status < 500:  # 400, 404, 422...: the request itself is refused
        return ProviderRejected(said)
    return ProviderUnavailable(f"{said}: unexpected answer")


def _error_detail(response: httpx.Response) -> str:
    """JSON:API `errors[].detail` (or `title`), else `error` / `message`, else the text."""
    try:
        payload = json.loads(response.content) if response.content else None
    except (ValueError, RecursionError):
        payload = None
    if isinstance(payload, dict):
        errors = payload.get("errors")
        if isinstance(errors, list):
            parts = []
            for item in errors:
                entry = _dict(item)
                text = entry.get("detail") or entry.get("title")
                pointer = _dict(entry.get("source")).get("pointer")
                if isinstance(text, str) and text:
                    parts.append(f"{text} ({pointer})" if isinstance(pointer, str) else text)
            if parts:
                return "; ".join(parts)[:500]
        for key in ("error", "message"):
            value = payload.get(key)
            if isinstance(value, str) and value:
                return value[:500]
    text = response.text.strip()[:200] if response.content else ""
    return text or response.reason_phrase or "no detail"


def _json(response: httpx.Response, *, action: str) -> dict[str, Any]:
    try:
        payload = json.loads(response.content)
    except (ValueError, RecursionError) as exc:
        raise ProviderUnavailable(
            f"Lemon Squeezy could not {action}: the answer is not JSON "
            f"(HTTP {response.status_code}, {response.text[:200]!r})"
        ) from exc
    if not isinstance(payload, dict):
        raise ProviderUnavailable(f"Lemon Squeezy could not {action}: the answer is not an object")
    return payload


def _order(data: Mapping[str, Any], what: str) -> _Order:
    """Read an order object; `ValidationFailed` when it is not one."""
    order_id = data.get("id")
    attributes = _dict(data.get("attributes"))
    if isinstance(order_id, int) and not isinstance(order_id, bool):
        order_id = str(order_id)
    if not isinstance(order_id, str) or not order_id or not attributes:
        raise ValidationFailed(f"Lemon Squeezy {what} has no order id or attributes")
    status = attributes.get("status")
    currency = attributes.get("currency")
    total = _minor(attributes.get("total"), "total")
    refunded_amount = _minor(attributes.get("refunded_amount"), "refunded_amount")
    needs_currency = total is not None or bool(refunded_amount)
    if needs_currency and not isinstance(currency, str):
        raise ValidationFailed(f"Lemon Squeezy order {order_id} states amounts but no currency")
    variant = _dict(attributes.get("first_order_item")).get("variant_id")
    test_mode = attributes.get("test_mode")
    return _Order(
        id=order_id,
        status=status if isinstance(status, str) else "",
        total=_money(total, currency) if total is not None else None,
        refunded_amount=refunded_amount,
        refunded_total=_money(refunded_amount, currency) if refunded_amount else None,
        refunded_flag=attributes.get("refunded") is True,
        variant_id=str(variant) if variant not in (None, "") else None,
        test_mode=test_mode if isinstance(test_mode, bool) else None,
    )


def _order_state(order: _Order) -> ProviderPaymentState:
    if order.status == "refunded":
        return ProviderPaymentState.REFUNDED
    if order.status == "partial_refund" or (order.status == "paid" and order.refunded_amount):
        return ProviderPaymentState.PARTIALLY_REFUNDED
    if order.status == "paid":
        return ProviderPaymentState.PAID
    if order.status in ("failed", "fraudulent"):
        return ProviderPaymentState.FAILED
    return ProviderPaymentState.PENDING  # pending, or a status this adapter does not know


def _minor(value: object, field: str) -> int | None:
    """A non-negative integer amount in minor units (an int, an integral float or digits)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationFailed(f"Lemon Squeezy {field} is not an amount: {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 0:
        raise ValidationFailed(f"Lemon Squeezy {field} is not an amount: {value!r:.50}")
    return value


def _money(minor: int, currency: object) -> Money:
    """Minor units (cents; whole units for zero-decimal currencies like JPY) as `Money`."""
    code = str(currency).strip().upper()
    digits = _MINOR_UNIT_DIGITS.get(code, 2)
    return Money(Decimal(minor).scaleb(-digits), code)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _is_https(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.netloc)


__all__ = ["DEFAULT_BASE_URL", "MAX_WEBHOOK_BYTES", "SIGNATURE_HEADER", "LemonSqueezyPayments"]
