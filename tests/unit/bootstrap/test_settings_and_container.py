"""Settings come from `AFP_*` variables; the container refuses settings that cannot work."""

from __future__ import annotations

import attrs
import pytest
from pydantic import ValidationError

from afp_adapters.crypto import generate_key
from afp_adapters.fakes import FakeVideoGenerator
from afp_adapters.local_video import LocalVideoGenerator
from afp_bootstrap import ConfigurationError, Settings, build_container
from afp_bootstrap.providers import LocalModelRouter
from afp_core.domain.money import Credits
from afp_core.domain.video import VideoSpec
from afp_core.ports.generation import VideoRequest


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


def _settings(**values: object) -> Settings:
    base: dict[str, object] = {"database_url": "memory://", "storage_url": "memory://"}
    return Settings(_env_file=None, **(base | values))  # type: ignore[call-arg]


def test_real_providers_without_their_keys_are_refused_with_the_missing_setting() -> None:
    with pytest.raises(ConfigurationError, match="AFP_OPENAI_API_KEY"):
        build_container(_settings(providers="real", token_keys="k" * 44))
    with pytest.raises(ConfigurationError, match="AFP_KIE_API_KEY"):
        build_container(_settings(providers="real", openai_api_key="sk-test", token_keys="k" * 44))


def test_fake_mode_renders_real_mp4s_locally_and_fakes_the_rest() -> None:
    container = build_container(_settings(providers="fake", local_video_size="180x320"))
    assert type(container.video_generator()).__name__ == "LocalVideoGenerator"
    assert type(container.script_writer()).__name__ == "FakeScriptWriter"
    assert type(container.scraper()).__name__ == "FakeProductScraper"


def test_real_mode_wraps_every_provider_in_the_resilience_decorators() -> None:
    container = build_container(
        _settings(
            providers="real",
            openai_api_key="sk-test",
            kie_api_key="kie-test",
            token_keys=f"k1:{generate_key()}",
        )
    )
    assert type(container.scraper()).__name__ == "ResilientScraper"
    assert type(container.script_writer()).__name__ == "ResilientScriptWriter"
    assert type(container.moderator()).__name__ == "ResilientModerator"
    assert type(container.video_generator()).__name__ == "LocalModelRouter"
    assert container.publishers() == {}  # nothing is faked in production
    assert container.payments() == {}
    assert [s.name for s in container.breakers().snapshots()] == ["kie", "openai"]


def test_one_port_can_be_switched_on_its_own() -> None:
    container = build_container(
        _settings(
            providers="real",
            openai_api_key="sk-test",
            video_provider="local",
            scraper="fake",
            token_keys=f"k1:{generate_key()}",
        )
    )
    assert type(container.video_generator()).__name__ == "LocalVideoGenerator"
    assert type(container.scraper()).__name__ == "FakeProductScraper"
    assert type(container.script_writer()).__name__ == "ResilientScriptWriter"


def test_a_malformed_local_video_size_is_refused() -> None:
    with pytest.raises(ValidationError):
        _settings(local_video_size="big")


def test_an_unsupported_storage_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="AFP_STORAGE_URL"):
        build_container(
            Settings(_env_file=None, providers="fake", storage_url="ftp://bucket/x")  # type: ignore[call-arg]
        )


def test_configured_credit_packs_replace_the_default_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFP_CREDIT_PACKS", '[{"id": "mini", "credits": 50, "price": "4.50"}]')
    container = build_container(Settings(_env_file=None, providers="fake"))  # type: ignore[call-arg]
    assert [p.id for p in container.prices().packs] == ["mini"]


async def test_the_local_model_is_rendered_locally_even_with_a_real_provider() -> None:
    class Provider(FakeVideoGenerator):
        pass

    provider, local = Provider(), LocalVideoGenerator(width=180, height=320, fps=12)
    router = LocalModelRouter(provider, local)
    spec = VideoSpec("afp-local", "a bottle on a desk", 4, "9:16", (), "Cold for 24 hours.")
    task = await router.submit(VideoRequest("v1", spec))
    status = await router.status(task)
    assert task.startswith("local-") and status.result_url
    assert (await router.download(status.result_url))[4:8] == b"ftyp"
    assert provider.submit_calls == 0
    other = await router.submit(VideoRequest("v2", attrs.evolve(spec, model="veo3_fast")))
    assert provider.submit_calls == 1 and not other.startswith("local-")
    assert (await router.status(other)).state is not None


def _real(**values: object) -> Settings:
    keys = {"openai_api_key": "sk-test", "kie_api_key": "kie-test"}
    return _settings(providers="real", **(keys | {"token_keys": f"k1:{generate_key()}"} | values))


def test_real_mode_publishes_to_each_platform_whose_app_is_configured() -> None:
    container = build_container(_real(tiktok_client_key="ck", tiktok_client_secret="cs"))
    publishers = container.publishers()
    assert {p.value: type(v).__name__ for p, v in publishers.items()} == {
        "tiktok": "TikTokPublisher"
    }
    with pytest.raises(ConfigurationError, match="AFP_INSTAGRAM_APP_SECRET"):
        build_container(_real(instagram_app_id="ia")).publishers()


def test_the_token_key_ring_is_checked_when_the_container_is_built() -> None:
    with pytest.raises(ConfigurationError, match="AFP_TOKEN_KEYS: key 'k1' is 5 bytes"):
        build_container(_settings(token_keys="k1:c2hvcnQ="))
    with pytest.raises(ConfigurationError, match="AFP_TOKEN_KEYS is required"):
        build_container(_real(token_keys=""))
    cipher = build_container(_settings(token_keys=f"new:{generate_key()},old:{generate_key()}"))
    assert cipher.cipher().encrypt("t", context="c").startswith("v1.new.")
