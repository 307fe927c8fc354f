"""Settings come from `AFP_*` variables; the container refuses settings that cannot work."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from afp_bootstrap import ConfigurationError, Settings, build_container
from afp_core.domain.money import Credits


def test_settings_are_read_from_afp_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFP_DATABASE_URL", "postgresql+psycopg://localhost/afp")
    monkeypatch.setenv("AFP_TOKEN_KEYS", "k1, k2,")
    monkeypatch.setenv(
        "AFP_CREDIT_PACKS",
        '[{"id": "mini", "credits": 50, "price": "4.50", "currency": "EUR"}]',
    )
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+psycopg://localhost/afp"
    assert [k.get_secret_value() for k in settings.token_keys] == ["k1", "k2"]
    pack = settings.credit_packs[0].to_domain()
    assert (pack.id, pack.credits, str(pack.price)) == ("mini", Credits(50), "4.50 EUR")


def test_secrets_never_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFP_OPENAI_API_KEY", "sk-live-do-not-print")
    assert "sk-live-do-not-print" not in repr(Settings(_env_file=None))  # type: ignore[call-arg]


def test_bad_credit_packs_are_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFP_CREDIT_PACKS", "[{oops")
    with pytest.raises(ValidationError, match="AFP_CREDIT_PACKS is not valid JSON"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("AFP_CREDIT_PACKS", '[{"id": "x", "credits": 0, "price": "1"}]')
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_providers_are_fake_without_keys_and_real_with_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).provider_mode == "fake"  # type: ignore[call-arg]
    monkeypatch.setenv("AFP_KIE_API_KEY", "kie-key")
    assert Settings(_env_file=None).provider_mode == "real"  # type: ignore[call-arg]
    monkeypatch.setenv("AFP_PROVIDERS", "fake")
    assert Settings(_env_file=None).provider_mode == "fake"  # type: ignore[call-arg]


def test_real_providers_are_refused_until_their_adapters_exist() -> None:
    with pytest.raises(ConfigurationError, match="AFP_PROVIDERS=fake"):
        build_container(Settings(_env_file=None, providers="real"))  # type: ignore[call-arg]


def test_an_unsupported_storage_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="AFP_STORAGE_URL"):
        build_container(
            Settings(_env_file=None, providers="fake", storage_url="s3://bucket/x")  # type: ignore[call-arg]
        )


def test_configured_credit_packs_replace_the_default_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFP_CREDIT_PACKS", '[{"id": "mini", "credits": 50, "price": "4.50"}]')
    container = build_container(Settings(_env_file=None, providers="fake"))  # type: ignore[call-arg]
    assert [p.id for p in container.prices().packs] == ["mini"]
