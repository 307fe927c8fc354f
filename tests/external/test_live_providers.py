"""Smoke tests against the real providers: marked `external`, off by default.

Run them by hand with real keys: `AFP_OPENAI_API_KEY=... AFP_KIE_API_KEY=...
.venv/bin/pytest -m external tests/external`; each test skips when its keys are not set. Each
costs a few cents at most: no render is ever started (Kie.ai is only asked for the account's
credit balance), no payment is made (a test-mode Lemon Squeezy checkout is created and left
unpaid; Cryptomus is only asked about an order it never saw) and nothing is published (Google
is only shown a made-up authorization code).
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime

import pytest

from afp_adapters.kie import KieVideoGenerator
from afp_adapters.openai import OpenAIModerator, OpenAIScriptWriter, build_openai_client
from afp_adapters.payments import CryptomusPayments, LemonSqueezyPayments
from afp_adapters.social import YouTubePublisher
from afp_core.domain.errors import DomainError
from afp_core.domain.ids import PurchaseId, UserId
from afp_core.domain.money import Credits, Money
from afp_core.domain.payments import PaymentProviderName, ProviderPaymentState, Purchase
from afp_core.domain.pricing import CreditPack
from afp_core.domain.script import ScriptOptions
from tests.world import PRODUCT

pytestmark = pytest.mark.external


def _key(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set")
    return value


async def test_openai_writes_grounded_scripts_and_moderates() -> None:
    client = build_openai_client(_key("AFP_OPENAI_API_KEY"))
    scripts = await OpenAIScriptWriter(client).write(PRODUCT, ScriptOptions(count=2))
    fact_ids = {f.id for f in PRODUCT.facts()}
    assert scripts
    assert all(set(c.fact_ids) <= fact_ids for s in scripts for c in s.claims)
    assert await OpenAIModerator(client).flags("A steel water bottle.", ()) == []


async def test_kie_answers_with_the_account_balance() -> None:
    async with KieVideoGenerator(_key("AFP_KIE_API_KEY")) as kie:
        assert await kie.credits() >= 0


def _purchase(provider: PaymentProviderName, *, payment_id: str | None = None) -> Purchase:
    return Purchase(
        id=PurchaseId(f"smoke{secrets.token_hex(8)}"),
        user_id=UserId("smoke-user"),
        pack_id="starter",
        credits=100,
        price=Money("9.00", "USD"),
        provider=provider,
        created_at=datetime.now(UTC),
        payment_id=payment_id,
    )


async def test_lemonsqueezy_makes_a_test_mode_checkout_and_knows_no_such_order() -> None:
    """Needs a test-mode key, its store and a variant (`AFP_SMOKE_LEMONSQUEEZY_VARIANT_ID`); an
    unpaid test checkout costs nothing."""
    payments = LemonSqueezyPayments(
        api_key=_key("AFP_LEMONSQUEEZY_API_KEY"),
        store_id=_key("AFP_LEMONSQUEEZY_STORE_ID"),
        webhook_secret=None,
        test_mode=True,
    )
    variant = _key("AFP_SMOKE_LEMONSQUEEZY_VARIANT_ID")
    purchase = _purchase(PaymentProviderName.LEMONSQUEEZY)
    pack = CreditPack("starter", Credits(100), Money("9.00", "USD"), variant)
    checkout = await payments.create_checkout(
        purchase, pack, email="smoke@example.com", redirect_url=None
    )
    assert checkout.checkout_url.startswith("https://")
    missing = _purchase(PaymentProviderName.LEMONSQUEEZY, payment_id="999999999")
    assert (await payments.lookup(missing)).state is ProviderPaymentState.NOT_FOUND


async def test_cryptomus_knows_no_invoice_for_an_order_it_never_saw() -> None:
    payments = CryptomusPayments(
        merchant_id=_key("AFP_CRYPTOMUS_MERCHANT_ID"),
        payment_key=_key("AFP_CRYPTOMUS_PAYMENT_KEY"),
        callback_url=None,
    )
    found = await payments.lookup(_purchase(PaymentProviderName.CRYPTOMUS))
    assert found.state is ProviderPaymentState.NOT_FOUND


async def test_google_refuses_a_made_up_authorization_code_with_a_domain_error() -> None:
    youtube = YouTubePublisher(
        client_id=_key("AFP_GOOGLE_CLIENT_ID"), client_secret=_key("AFP_GOOGLE_CLIENT_SECRET")
    )
    try:
        with pytest.raises(DomainError):
            await youtube.exchange_code(
                code="made-up", code_verifier="v" * 43, redirect_uri="http://127.0.0.1:8000/cb"
            )
    finally:
        await youtube.aclose()
