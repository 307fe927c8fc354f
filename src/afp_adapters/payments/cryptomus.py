"""`CryptomusPayments`: the `PaymentProvider` port on Cryptomus (crypto invoices), over httpx.

Reference: `docs/providers/cryptomus.md` in the shared docs (section numbers below are its own).

Outgoing calls (§ 1): one compact JSON body, signed once and sent as those exact bytes, with
`merchant` and `sign = md5_hex(base64(body) + payment_key)` headers. Creating an invoice is safe
to repeat (the same `order_id = "afp-<purchase_id>"` returns the same invoice, § 7), so every
call is retried a few times on timeouts, network errors, 429 and 5xx, then `ProviderUnavailable`.

Webhooks (§ 5.1): the `sign` is a member of the JSON body. The signed bytes are the raw body
minus its top-level `sign` member (byte exact), compared in constant time, so a body changed or
re-serialised on the way is refused. Only with `accept_reformatted=True` (behind a proxy known to
re-format JSON) is a PHP `json_encode(..., JSON_UNESCAPED_UNICODE)` re-encoding of the parsed
body accepted as well. A missing, non-hex or repeated `sign` is refused.

Test webhooks are signed with the live key (§ 6), so a signed webhook is only a hint: `confirm`
re-reads the invoice from `/v1/payment/info` before any credit moves (§ 7).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import httpx

from afp_core.domain.errors import (
    InvalidSignature,
    ProviderAccountBlocked,
    ProviderOutOfCredits,
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

DEFAULT_BASE_URL = "https://api.cryptomus.com"
MAX_WEBHOOK_BYTES = 1024 * 1024
ORDER_PREFIX = "afp-"
MAX_ORDER_ID_CHARS = 32  # the test-webhook endpoint's limit, the tightest of all (§ 6)
# Pauses before each attempt: three attempts in all, about a second of waiting at most.
RETRY_DELAYS_S: tuple[float, ...] = (0.0, 0.25, 0.75)

_ALPHA_DASH = re.compile(r"[A-Za-z0-9_-]+")
_HEX_SIGN = re.compile(r"[0-9A-Fa-f]{32}")
# JSON strings and brackets: enough to tell which `"sign"` key belongs to the top-level object
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\]]', re.DOTALL)
_SIGN_VALUE = re.compile(rb'[ \t\r\n]*:[ \t\r\n]*"([0-9A-Fa-f]{32})"')
_JSON_SPACE = b" \t\r\n"

# § 4: what a webhook or a payment-info status means for the money
_NOTICE_KINDS = {
    "paid": NoticeKind.PAID,
    "paid_over": NoticeKind.PAID,  # the extra stays with us; the pack is credited as bought
    "wrong_amount": NoticeKind.UNDERPAID,
    "refund_paid": NoticeKind.REFUNDED,
}
_LOOKUP_STATES = {
    "paid": ProviderPaymentState.PAID,
    "paid_over": ProviderPaymentState.PAID,
    "wrong_amount": ProviderPaymentState.UNDERPAID,
    "refund_paid": ProviderPaymentState.REFUNDED,
    "refund_process": ProviderPaymentState.PAID,  # the money is still ours until refund_paid
    "refund_fail": ProviderPaymentState.PAID,  # the refund failed: the payment stands
    "cancel": ProviderPaymentState.FAILED,  # may still turn `paid` later (§ 4)
    "fail": ProviderPaymentState.FAILED,
    "system_fail": ProviderPaymentState.FAILED,
    # check, process, confirm_check, wrong_amount_waiting, locked (AML hold) and any status
    # Cryptomus adds later are PENDING: nothing moves until a known final status arrives
}
_NOT_FOUND = "payment not found"


# ---------------------------------------------------------------------- signing


def sign_body(body: bytes, key: str) -> str:
    """`md5_hex(base64(body) + key)`: Cryptomus's signature of exact bytes (§ 1, § 5.1)."""
    signed = base64.b64encode(body) + key.encode()
    # MD5 is what Cryptomus's protocol prescribes, not our choice; the flag keeps it
    # available on FIPS builds of OpenSSL.
    return hashlib.md5(signed, usedforsecurity=False).hexdigest()


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """The bytes of an outgoing call: compact JSON, UTF-8 kept as is; signed and sent as is."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def php_json_encode(value: Any) -> bytes:
    """PHP's `json_encode($value, JSON_UNESCAPED_UNICODE)`: compact, `/` as `\\/`, non-ASCII
    raw except U+2028 / U+2029, keys in their order. Floats may print differently."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("/", "\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode()


def cut_sign_member(body: bytes) -> bytes | None:
    """The raw body without its top-level `"sign":"<32 hex>"` member and the comma that
    separates it; None unless exactly one such member exists."""
    found: list[tuple[int, int]] = []
    depth = 0
    for token in _TOKENS.finditer(body):
        text = token.group()
        if text in (b"{", b"["):
            depth += 1
        elif text in (b"}", b"]"):
            depth -= 1
        elif depth == 1 and text == b'"sign"':
            value = _SIGN_VALUE.match(body, token.end())
            if value is not None:
                found.append((token.start(), value.end()))
    if len(found) != 1:
        return None
    start, end = found[0]
    before = body[:start].rstrip(_JSON_SPACE)
    if before.endswith(b","):
        return before[:-1] + body[end:]
    after = body[end:].lstrip(_JSON_SPACE)
    if after.startswith(b","):
        return body[:start] + after[1:]
    return body[:start] + body[end:]


# ---------------------------------------------------------------------- the adapter


@attrs.frozen
class _Reply:
    """A JSON answer that is not a failure to retry: a result, or Cryptomus's refusal."""

    result: Any = None
    refusal: str | None = None

    @property
    def not_found(self) -> bool:
        return self.refusal is not None and self.refusal.lower() == _NOT_FOUND


class CryptomusPayments:
    """Implements `PaymentProvider` on Cryptomus invoices.

    Every setting may be missing: checkouts and lookups then raise `ValidationFailed` naming
    the `AFP_*` setting, `confirm` raises `ProviderUnavailable` (the webhook is answered 503 and
    comes back), and with no payment key every webhook is refused (`InvalidSignature`).
    `callback_url` is where Cryptomus posts webhooks (`<AFP_PUBLIC_BASE_URL>/webhooks/cryptomus`);
    `return_url` is the default page the payer goes back to.
    """

    name = PaymentProviderName.CRYPTOMUS

    def __init__(
        self,
        *,
        merchant_id: str | None,
        payment_key: str | None,
        callback_url: str | None,
        return_url: str | None = None,
        lifetime_s: int = 3600,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = 20.0,
        accept_reformatted: bool = False,
    ) -> None:
        if not 300 <= lifetime_s <= 43200:
            raise ValueError(f"Cryptomus invoices live 300 to 43200 s, not {lifetime_s}")
        self._merchant_id = merchant_id or None
        self._payment_key = payment_key or None
        self._callback_url = callback_url or None
        self._return_url = return_url or None
        self._lifetime_s = lifetime_s
        self._base_url = base_url.rstrip("/")
        self._transport = transport
        self._timeout = httpx.Timeout(timeout_s)
        self._accept_reformatted = accept_reformatted

    def __repr__(self) -> str:
        configured = self._merchant_id is not None and self._payment_key is not None
        return f"<CryptomusPayments merchant={self._merchant_id!r} configured={configured}>"

    # ------------------------------------------------------------------ port

    async def create_checkout(
        self, purchase: Purchase, pack: CreditPack, *, email: str, redirect_url: str | None
    ) -> Checkout:
        del pack, email  # the purchase carries the price; Cryptomus invoices take no email
        if self._callback_url is None:
            raise ValidationFailed(
                "Cryptomus is not configured: no webhook callback URL (set AFP_PUBLIC_BASE_URL)"
            )
        self._credentials()
        payload: dict[str, Any] = {
            "amount": _amount_text(purchase.price.amount),
            "currency": purchase.price.currency,
            "order_id": order_id_for(purchase.id),
            "url_callback": self._callback_url,
        }
        back = redirect_url or self._return_url
        if back:
            payload["url_return"] = back
            payload["url_success"] = back
        payload["lifetime"] = self._lifetime_s
        payload["additional_data"] = str(purchase.id)
        action = f"create the invoice for purchase {purchase.id}"
        reply = await self._post("/v1/payment", payload, action=action)
        if reply.refusal is not None:
            raise ProviderRejected(f"Cryptomus refused to {action}: {reply.refusal}")
        result = reply.result if isinstance(reply.result, dict) else {}
        url, uuid = result.get("url"), result.get("uuid")
        if not isinstance(url, str) or not url.startswith("https://") or not isinstance(uuid, str):
            raise ProviderUnavailable(
                f"Cryptomus answered the call to {action} without a payment page URL and uuid"
            )
        return Checkout(url, provider_ref=uuid)

    def parse_notice(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        del headers  # Cryptomus signs inside the body; it sends no signature header
        if self._payment_key is None:
            raise InvalidSignature(
                "Cryptomus webhooks are refused: no payment key (set AFP_CRYPTOMUS_PAYMENT_KEY)"
            )
        if len(body) > MAX_WEBHOOK_BYTES:
            raise ValidationFailed(f"Cryptomus webhook of {len(body)} bytes is too large")
        data, sign = _load_signed(body)
        _verify(body, data, sign, self._payment_key, reformatted=self._accept_reformatted)
        return _notice(data)

    async def confirm(self, notice: PaymentNotice) -> PaymentNotice:
        if notice.kind is NoticeKind.IGNORED:
            return notice
        status = notice.event_name
        try:
            reply = await self._post(
                "/v1/payment/info",
                {"uuid": notice.payment_id},
                action=f"confirm payment {notice.payment_id}",
            )
        except (ValidationFailed, ProviderRejected, ProviderOutOfCredits) as exc:
            # ProviderAccountBlocked is a ProviderOutOfCredits: our problem, not the payment's
            raise ProviderUnavailable(
                f"Cryptomus payment {notice.payment_id} could not be confirmed: {exc}"
            ) from exc
        if reply.not_found:
            return _unconfirmed(notice, "not_found", "payment info says the payment is unknown")
        if reply.refusal is not None or not isinstance(reply.result, dict):
            raise ProviderUnavailable(
                f"Cryptomus payment {notice.payment_id} could not be confirmed: "
                f"{reply.refusal or 'the payment info has no result'}"
            )
        info: dict[str, Any] = reply.result
        expected = f"{ORDER_PREFIX}{notice.purchase_id}" if notice.purchase_id else None
        if info.get("order_id") != expected or info.get("uuid") != notice.payment_id:
            return _unconfirmed(
                notice,
                "order_id",
                f"payment info describes invoice {info.get('uuid')!r} of order "
                f"{info.get('order_id')!r}, not {notice.payment_id!r} of order {expected!r}",
            )
        info_status = _status_of(info)
        kind = _NOTICE_KINDS.get(info_status, NoticeKind.IGNORED)
        if kind is NoticeKind.IGNORED:
            return _unconfirmed(notice, info_status, f"payment info says {info_status}")
        amount = _money(info, strict=kind is NoticeKind.PAID)
        if kind is notice.kind:
            return attrs.evolve(notice, amount=amount)
        # the payment moved on since this webhook: it becomes the notice the webhook for the
        # current status would give, so it shares that delivery's event id
        return attrs.evolve(
            notice,
            kind=kind,
            event_id=f"{notice.payment_id}:{info_status}",
            event_name=info_status,
            amount=amount,
            refunded_total=None,
            detail=f"the webhook said {status}; payment info says {info_status}",
        )

    async def lookup(self, purchase: Purchase) -> ProviderPayment:
        order_id = order_id_for(purchase.id)
        reply = await self._post(
            "/v1/payment/info", {"order_id": order_id}, action=f"look up order {order_id}"
        )
        if reply.not_found:
            return ProviderPayment(ProviderPaymentState.NOT_FOUND, detail="payment not found")
        if reply.refusal is not None:
            raise ProviderRejected(f"Cryptomus could not look up order {order_id}: {reply.refusal}")
        info = reply.result if isinstance(reply.result, dict) else {}
        if info.get("order_id") != order_id:
            raise ProviderUnavailable(
                f"Cryptomus answered the look-up of order {order_id} with order "
                f"{info.get('order_id')!r}"
            )
        status = _status_of(info)
        uuid = info.get("uuid")
        return ProviderPayment(
            _LOOKUP_STATES.get(status, ProviderPaymentState.PENDING),
            payment_id=uuid if isinstance(uuid, str) else None,
            amount=_money(info, strict=False),
            detail=status,
        )

    # ------------------------------------------------------------------ HTTP

    def _credentials(self) -> tuple[str, str]:
        if self._merchant_id is None:
            raise ValidationFailed(
                "Cryptomus is not configured: no merchant id (set AFP_CRYPTOMUS_MERCHANT_ID)"
            )
        if self._payment_key is None:
            raise ValidationFailed(
                "Cryptomus is not configured: no payment key (set AFP_CRYPTOMUS_PAYMENT_KEY)"
            )
        return self._merchant_id, self._payment_key

    async def _post(self, path: str, payload: Mapping[str, Any], *, action: str) -> _Reply:
        """One signed call, tried up to `len(RETRY_DELAYS_S)` times while it may pass."""
        merchant_id, key = self._credentials()
        body = encode_body(payload)
        headers = {
            "merchant": merchant_id,
            "sign": sign_body(body, key),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        failure = "no attempt was made"
        async with httpx.AsyncClient(transport=self._transport, timeout=self._timeout) as client:
            for delay in RETRY_DELAYS_S:
                if delay > 0:
                    await asyncio.sleep(delay)
                try:
                    response = await client.post(
                        f"{self._base_url}{path}", content=body, headers=headers
                    )
                except httpx.HTTPError as exc:  # timeouts, refused or dropped connections
                    failure = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    continue
                if response.status_code == 429 or response.status_code >= 500:
                    failure = f"HTTP {response.status_code} {_snippet(response)}".rstrip()
                    continue
                return _read(response, action)
        raise ProviderUnavailable(
            f"Cryptomus could not {action} after {len(RETRY_DELAYS_S)} attempts: {failure}"
        )


def order_id_for(purchase_id: str) -> str:
    """`afp-<purchase_id>` (contract "Payment correlation"), checked against Cryptomus's rules."""
    order_id = f"{ORDER_PREFIX}{purchase_id}"
    if not _ALPHA_DASH.fullmatch(purchase_id) or len(order_id) > MAX_ORDER_ID_CHARS:
        raise ValidationFailed(
            f"purchase id {purchase_id!r} cannot be a Cryptomus order id: letters, digits, "
            f"'_' and '-' only, 1 to {MAX_ORDER_ID_CHARS - len(ORDER_PREFIX)} characters"
        )
    return order_id


# ---------------------------------------------------------------------- answers


def _read(response: httpx.Response, action: str) -> _Reply:
    status = response.status_code
    if status in (401, 403):
        raise ProviderAccountBlocked(
            f"Cryptomus could not {action} (HTTP {status}): it refused our merchant id or "
            "payment key; check AFP_CRYPTOMUS_MERCHANT_ID and AFP_CRYPTOMUS_PAYMENT_KEY"
        )
    try:
        payload = json.loads(response.content)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        if status < 300:
            raise ProviderUnavailable(f"Cryptomus could not {action}: an answer that is not JSON")
        return _Reply(refusal=f"HTTP {status} {_snippet(response)}".rstrip())
    state = payload.get("state")
    if status < 300 and type(state) is int and state == 0:
        return _Reply(result=payload.get("result"))
    if state == 1 or status >= 400:
        return _Reply(refusal=_refusal_text(payload, status))
    raise ProviderUnavailable(
        f"Cryptomus could not {action}: an unexpected answer {payload!r:.200}"
    )


def _refusal_text(payload: Mapping[str, Any], status: int) -> str:
    parts: list[str] = []
    message = payload.get("message")
    if isinstance(message, str) and message:
        parts.append(message)
    errors = payload.get("errors")
    if isinstance(errors, dict):
        for field, reasons in errors.items():
            listed = reasons if isinstance(reasons, list) else [reasons]
            parts.append(f"{field}: {', '.join(str(reason) for reason in listed)}")
    return "; ".join(parts) or f"HTTP {status} without a message"


def _snippet(response: httpx.Response) -> str:
    return response.text.strip()[:200] if response.content else ""


def _amount_text(amount: Decimal) -> str:
    return format(amount, "f")


def _status_of(info: Mapping[str, Any]) -> str:
    status = info.get("payment_status") or info.get("status")
    return status if isinstance(status, str) else "unknown"


def _money(data: Mapping[str, Any], *, strict: bool) -> Money | None:
    """`Money(amount, currency)` of an invoice; None when absent or not representable (a
    four-letter coin code), unless `strict`: a payment must say how much it paid."""
    amount, currency = data.get("amount"), data.get("currency")
    problem = f"amount {amount!r} in currency {currency!r}"
    if isinstance(amount, str | int) and not isinstance(amount, bool) and isinstance(currency, str):
        try:
            return Money(Decimal(str(amount)), currency)
        except (ValidationFailed, InvalidOperation) as exc:
            problem = f"{problem}: {exc}"
    if strict:
        raise ValidationFailed(f"Cryptomus payment with an unreadable {problem}")
    return None


# ---------------------------------------------------------------------- webhooks


def _load_signed(body: bytes) -> tuple[dict[str, Any], str]:
    """The webhook's JSON object and its one top-level `sign`."""
    try:
        data = json.loads(body)
        top: Any = json.loads(body, object_pairs_hook=list)
    except (ValueError, RecursionError) as exc:
        raise ValidationFailed(f"Cryptomus webhook is not JSON: {type(exc).__name__}") from exc
    if not isinstance(data, dict) or not isinstance(top, list):
        raise ValidationFailed("Cryptomus webhook is not a JSON object")
    signs = [value for key, value in top if key == "sign"]
    if not signs:
        raise InvalidSignature("Cryptomus webhook has no sign")
    if len(signs) > 1:
        raise InvalidSignature("Cryptomus webhook has more than one sign")
    sign = signs[0]
    if not isinstance(sign, str) or not _HEX_SIGN.fullmatch(sign):
        raise InvalidSignature("Cryptomus webhook sign is not 32 hex digits")
    return data, sign


def _verify(
    body: bytes, data: Mapping[str, Any], sign: str, key: str, *, reformatted: bool
) -> None:
    candidates = []
    cut = cut_sign_member(body)
    if cut is not None:
        candidates.append(cut)
    if reformatted:  # only behind a proxy known to re-format bodies
        candidates.append(php_json_encode({k: v for k, v in data.items() if k != "sign"}))
    given = sign.lower()
    matched = False
    for candidate in candidates:  # every candidate is checked: no early exit to time
        matched |= hmac.compare_digest(sign_body(candidate, key), given)
    if not matched:
        raise InvalidSignature("Cryptomus webhook sign does not match the body")


def _notice(data: Mapping[str, Any]) -> PaymentNotice:
    uuid, status = data.get("uuid"), data.get("status")
    if not isinstance(uuid, str) or not uuid or not isinstance(status, str) or not status:
        raise ValidationFailed("Cryptomus webhook without uuid or status")
    base = PaymentNotice(
        provider=PaymentProviderName.CRYPTOMUS,
        event_id=f"{uuid}:{status}",
        kind=NoticeKind.IGNORED,
        purchase_id=None,
        payment_id=uuid,
        event_name=status,
    )
    kind_of_event, order_id = data.get("type"), data.get("order_id")
    if kind_of_event != "payment":
        return attrs.evolve(base, detail=f"a {kind_of_event!r} webhook, not an invoice payment")
    if not isinstance(order_id, str) or not order_id.startswith(ORDER_PREFIX):
        return attrs.evolve(base, detail=f"order {order_id!r} is not an AFP order")
    purchase_id = order_id.removeprefix(ORDER_PREFIX)
    if not purchase_id:
        return attrs.evolve(base, detail=f"order {order_id!r} names no purchase")
    kind = _NOTICE_KINDS.get(status, NoticeKind.IGNORED)
    notice = attrs.evolve(base, purchase_id=PurchaseId(purchase_id), kind=kind)
    if kind is NoticeKind.IGNORED:
        return attrs.evolve(notice, detail=f"status {status}: no money moves")
    amount = _money(data, strict=kind is NoticeKind.PAID)
    if kind is NoticeKind.UNDERPAID:
        paid = f"{data.get('payment_amount')} {data.get('payer_currency')}"
        return attrs.evolve(notice, amount=amount, detail=f"underpaid: {paid} arrived")
    return attrs.evolve(notice, amount=amount)  # REFUNDED: refunded_total None = in full


def _unconfirmed(notice: PaymentNotice, reason: str, detail: str) -> PaymentNotice:
    """An IGNORED notice whose event id no genuine later delivery can share."""
    return attrs.evolve(
        notice,
        kind=NoticeKind.IGNORED,
        event_id=f"{notice.payment_id}:{notice.event_name}:unconfirmed:{reason}",
        detail=detail,
    )


__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_WEBHOOK_BYTES",
    "CryptomusPayments",
    "cut_sign_member",
    "encode_body",
    "order_id_for",
    "php_json_encode",
    "sign_body",
]
