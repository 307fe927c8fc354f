"""`GET /media/{key}`: a stored file through its signed link, no bearer token needed."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from dependency_injector import providers

from afp_adapters.storage import LocalFileStorage
from tests.http.conftest import Api

SIGNING_KEY = b"m" * 32
MP4 = b"\x00\x00\x00\x18ftypmp42"


@pytest.fixture
def signed(api: Api, tmp_path: Path) -> LocalFileStorage:
    """Local files with signed links, as the container builds them with `AFP_SECRET_KEY`."""
    clock = api.world.clock
    storage = LocalFileStorage(
        tmp_path,
        base_url="https://afp.example.com",
        signing_key=SIGNING_KEY,
        now=lambda: clock.now().timestamp(),
    )
    api.world.c.media_signing_key.override(providers.Object(SIGNING_KEY))
    api.world.c.storage.override(providers.Object(storage))
    return storage


async def _link(storage: LocalFileStorage, key: str) -> str:
    url = urlsplit((await storage.put(key, MP4, "video/mp4")).url)
    return f"{url.path}?{url.query}"


async def test_a_signed_link_serves_the_file_without_a_token(
    api: Api, signed: LocalFileStorage
) -> None:
    answer = await api.client.get(await _link(signed, "videos/u1/v1.mp4"))
    assert answer.status_code == 200
    assert answer.content == MP4
    assert answer.headers["content-type"] == "video/mp4"


async def test_an_expired_link_is_refused(api: Api, signed: LocalFileStorage) -> None:
    link = await _link(signed, "videos/u1/v1.mp4")
    api.world.clock.advance(3601)
    answer = await api.client.get(link)
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_signature"
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: link.replace("/v1.mp4", "/v2.mp4"),  # another user's file
        lambda link: link.replace("expires=", "expires=9"),  # a longer life
        lambda link: link[:-1] + ("0" if link[-1] != "0" else "1"),  # a forged signature
    ],
    ids=["key", "expiry", "signature"],
)
async def test_a_tampered_link_is_refused(
    api: Api, signed: LocalFileStorage, tamper: object
) -> None:
    await signed.put("videos/u1/v2.mp4", b"other", "video/mp4")
    link = tamper(await _link(signed, "videos/u1/v1.mp4"))  # type: ignore[operator]
    answer = await api.client.get(link)
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_signature"


async def test_a_signed_link_to_a_removed_file_is_not_found(
    api: Api, signed: LocalFileStorage, tmp_path: Path
) -> None:
    link = await _link(signed, "videos/u1/v1.mp4")
    (tmp_path / "videos/u1/v1.mp4").unlink()
    answer = await api.client.get(link)
    assert answer.status_code == 404


async def test_without_a_signing_key_every_link_is_refused(api: Api) -> None:
    answer = await api.client.get("/media/videos/u1/v1.mp4?expires=9999999999&sig=00")
    assert answer.status_code == 401
    assert "AFP_SECRET_KEY" in answer.json()["detail"]
