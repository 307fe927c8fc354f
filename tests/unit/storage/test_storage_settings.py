"""`AFP_STORAGE_URL` and friends: which storage the container builds, and what it refuses."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from afp_bootstrap import ConfigurationError, Settings, build_container
from afp_bootstrap.storage import media_link_key


def _settings(**values: object) -> Settings:
    base: dict[str, object] = {"database_url": "memory://", "providers": "fake"}
    return Settings(_env_file=None, **(base | values))  # type: ignore[call-arg]


def test_an_s3_url_builds_an_s3_storage_with_its_bucket_prefix_and_endpoint() -> None:
    container = build_container(
        _settings(
            storage_url="s3://afp-media/videos/?endpoint=https://acct.r2.cloudflarestorage.com"
            "&region=auto",
            s3_access_key_id="AKIAEXAMPLE",
            s3_secret_access_key="very-secret-value",
        )
    )
    storage = container.storage()
    assert type(storage).__name__ == "S3MediaStorage"
    assert repr(storage) == (
        "S3MediaStorage(bucket='afp-media', at='https://acct.r2.cloudflarestorage.com', "
        "prefix='videos/')"
    )
    assert "very-secret-value" not in repr(container.checked_settings())


@pytest.mark.parametrize(
    ("url", "values", "message"),
    [
        ("s3://?endpoint=https://x", {}, "s3://BUCKET"),
        ("s3://b/p?endpont=https://x", {}, "unknown option endpont"),
        ("s3://bkt/p?url_expiry_s=0", {}, "between 1 second and 7 days"),
        ("s3://bkt/p", {"s3_access_key_id": "AKIA"}, "AFP_S3_SECRET_ACCESS_KEY"),
        ("ftp://bucket/videos", {}, "AFP_STORAGE_URL"),
    ],
)
def test_a_malformed_storage_setting_is_a_configuration_error(
    url: str, values: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build_container(_settings(storage_url=url, **values))


def test_s3_storage_without_boto3_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "afp_adapters.storage.s3", None)  # as if not installed
    with pytest.raises(ConfigurationError, match=r"install afp\[s3\]"):
        build_container(_settings(storage_url="s3://afp-media/videos"))


async def test_with_a_secret_key_local_files_get_signed_links_to_the_public_url(
    tmp_path: Path,
) -> None:
    container = build_container(
        _settings(
            storage_url=f"file://{tmp_path}",
            secret_key="a-long-random-secret",
            public_base_url="https://afp.example.com",
        )
    )
    url = await container.storage().url_for("videos/u/v.mp4")
    assert urlsplit(url).path == "/media/videos/u/v.mp4"
    assert url.startswith("https://afp.example.com/")
    assert container.media_signing_key() == media_link_key(
        _settings(secret_key="a-long-random-secret")
    )
    assert container.media_signing_key() != media_link_key(_settings(secret_key="another"))


async def test_without_a_secret_key_fake_mode_keeps_file_paths(tmp_path: Path) -> None:
    container = build_container(_settings(storage_url=f"file://{tmp_path}"))
    assert container.media_signing_key() is None
    assert await container.storage().url_for("v.mp4") == str(tmp_path / "v.mp4")


def test_real_providers_with_local_files_need_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="AFP_SECRET_KEY"):
        build_container(
            _settings(
                providers="real",
                storage_url=f"file://{tmp_path}",
                openai_api_key="sk-test",
                kie_api_key="kie-test",
                token_keys="k" * 44,
            )
        )
