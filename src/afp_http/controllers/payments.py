"""`/payment/*/checkout` and the payment providers' webhooks (verified on the raw bytes)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.params import JSONBody

from afp_bootstrap import Container
from afp_core.domain.credentials import Principal
from afp_core.domain.payments import PaymentProviderName
from afp_core.usecases import CreateCheckoutCommand, HandlePaymentNoticeCommand
from afp_http.auth import PUBLIC, SECURITY
from afp_http.controllers._common import IdempotencyKey, idempotent
from afp_http.deps import ContainerDep, PrincipalDep
from afp_http.openapi import AUTHED, problems
from afp_http.schemas.payments import CheckoutIn, CheckoutOut, NoticeAcceptedOut

_CHECKOUT_DOC = (
    "Records a PENDING purchase of the pack and answers the provider's checkout URL; the"
    " credits arrive with the provider's webhook. 422 `validation_error` for an unknown pack"
    " or a provider that is not configured on this server."
)
_WEBHOOK_DOC = (
    "The signature is checked on the raw body (401 `invalid_signature`, nothing written; a"
    " provider that is not configured refuses every webhook). Every verified delivery is"
    " stored raw under its event id and applied in the same transaction, then answered 200:"
    " applied, a repeat, an event that needs nothing, a refund stored until its payment"
    " arrives, a payment flagged for review, or one naming no purchase here. 422 for a"
    " verified body that cannot be read; 503 when the provider's confirmation could not be"
    " read (the provider delivers again)."
)


async def _checkout(
    provider: PaymentProviderName,
    request: Request[Principal, str, Any],
    data: CheckoutIn,
    principal: Principal,
    container: Container,
    idempotency_key: str | None,
) -> Response[CheckoutOut]:
    async def produce() -> tuple[int, CheckoutOut]:
        result = await container.create_checkout().execute(
            CreateCheckoutCommand(principal.user_id, provider, data.pack_id)
        )
        return 200, CheckoutOut.of(result)

    return await idempotent(
        request, principal, idempotency_key, data.model_dump(mode="json"), produce
    )


async def _notice(
    provider: PaymentProviderName, request: Request[Any, Any, Any], container: Container
) -> Response[Any]:
    result = await container.handle_payment_notice().execute(
        HandlePaymentNoticeCommand(provider, await request.body(), dict(request.headers))
    )
    return Response(NoticeAcceptedOut.of(result), status_code=200)


class PaymentController(Controller):
    tags = ["payments"]  # noqa: RUF012 - Litestar reads these class attributes

    @post(
        "/payment/lemonsqueezy/checkout",
        status_code=200,
        security=SECURITY,
        responses=problems(*AUTHED, 409, 503),
        summary="Buy a credit pack with Lemon Squeezy",
        description=_CHECKOUT_DOC,
    )
    async def lemonsqueezy_checkout(
        self,
        request: Request[Principal, str, Any],
        data: JSONBody[CheckoutIn],
        principal: PrincipalDep,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[CheckoutOut]:
        return await _checkout(
            PaymentProviderName.LEMONSQUEEZY,
            request,
            data,
            principal,
            container,
            idempotency_key,
        )

    @post(
        "/payment/cryptomus/checkout",
        status_code=200,
        security=SECURITY,
        responses=problems(*AUTHED, 409, 503),
        summary="Buy a credit pack with Cryptomus",
        description=_CHECKOUT_DOC,
    )
    async def cryptomus_checkout(
        self,
        request: Request[Principal, str, Any],
        data: JSONBody[CheckoutIn],
        principal: PrincipalDep,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[CheckoutOut]:
        return await _checkout(
            PaymentProviderName.CRYPTOMUS, request, data, principal, container, idempotency_key
        )

    @post(
        "/payment/fake/checkout",
        status_code=200,
        security=SECURITY,
        responses=problems(*AUTHED, 409),
        summary="Buy a credit pack with the demo provider (`afp serve --demo`)",
        description=_CHECKOUT_DOC,
    )
    async def fake_checkout(
        self,
        request: Request[Principal, str, Any],
        data: JSONBody[CheckoutIn],
        principal: PrincipalDep,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[CheckoutOut]:
        return await _checkout(
            PaymentProviderName.FAKE, request, data, principal, container, idempotency_key
        )

    @post(
        "/webhooks/lemonsqueezy",
        status_code=200,
        opt={PUBLIC: True},
        responses=problems(401, 413, 422, 503),
        summary="Lemon Squeezy order and refund events",
        description=_WEBHOOK_DOC,
    )
    async def lemonsqueezy_webhook(
        self, request: Request[Any, Any, Any], container: ContainerDep
    ) -> Response[Any]:
        return await _notice(PaymentProviderName.LEMONSQUEEZY, request, container)

    @post(
        "/webhooks/cryptomus",
        status_code=200,
        opt={PUBLIC: True},
        responses=problems(401, 413, 422, 503),
        summary="Cryptomus invoice and refund events",
        description=_WEBHOOK_DOC,
    )
    async def cryptomus_webhook(
        self, request: Request[Any, Any, Any], container: ContainerDep
    ) -> Response[Any]:
        return await _notice(PaymentProviderName.CRYPTOMUS, request, container)

    @post(
        "/webhooks/fake",
        status_code=200,
        opt={PUBLIC: True},
        responses=problems(401, 413, 422, 503),
        summary="The demo payment provider's events (`x-fake-signature`: HMAC-SHA256 hex)",
        description=_WEBHOOK_DOC,
    )
    async def fake_webhook(
        self, request: Request[Any, Any, Any], container: ContainerDep
    ) -> Response[Any]:
        return await _notice(PaymentProviderName.FAKE, request, container)
