"""Which payment providers the container offers, from the settings present."""

from __future__ import annotations

import base64
from typing import Any

from afp_adapters.fakes import FakePayments
from afp_adapters.payments import CryptomusPayments, LemonSqueezyPayments
from afp_bootstrap import Settings, build_container
from afp_core.domain.payments import PaymentProviderName as P

FAKE_GENERATION = {"scraper": "fake", "script_writer": "fake", "video_provider": "fake"}
TOKEN_KEYS = "k1:" + base64.b64encode(bytes(32)).decode()


def _settings(**values: Any) -> Settings:
    base = {"database_url": "memory://", "storage_url": "memory://", "token_keys": TOKEN_KEYS}
    base |= FAKE_GENERATION
    return Settings(_env_file=None, **(base | values))  # type: ignore[call-arg]


def _payments(**values: Any) -> dict[P, type]:
    settings = _settings(**values)
    return {name: type(p) for name, p in build_container(settings).payments().items()}


def test_without_payment_settings_only_the_demo_provider_exists_and_only_with_fakes() -> None:
    assert _payments() == {P.FAKE: FakePayments}
    assert _payments(providers="real") == {}


def test_each_provider_is_offered_once_any_of_its_settings_is_present() -> None:
    assert _payments(lemonsqueezy_webhook_secret="whsec") == {
        P.FAKE: FakePayments,
        P.LEMONSQUEEZY: LemonSqueezyPayments,
    }
    assert _payments(
        providers="real",
        cryptomus_merchant_id="m",
        cryptomus_payment_key="k",
        lemonsqueezy_api_key="key",
        lemonsqueezy_store_id="1",
    ) == {P.LEMONSQUEEZY: LemonSqueezyPayments, P.CRYPTOMUS: CryptomusPayments}


def test_the_cryptomus_callback_is_the_public_webhook_route() -> None:
    settings = _settings(
        cryptomus_merchant_id="m",
        cryptomus_payment_key="k",
        public_base_url="https://afp.example.com/",
    )
    cryptomus = build_container(settings).payments()[P.CRYPTOMUS]
    assert isinstance(cryptomus, CryptomusPayments)
    assert cryptomus._callback_url == "https://afp.example.com/webhooks/cryptomus"
