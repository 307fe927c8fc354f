"""Signed links to local files: valid until they expire, for the one key they were made for."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from afp_adapters.storage import LocalFileStorage, media_signature, verify_media_url
from afp_core.domain.errors import InvalidSignature

KEY = b"s" * 32
NOW = 1_767_268_800.0


def _storage(tmp_path: Path, now: float = NOW) -> LocalFileStorage:
    return LocalFileStorage(
        tmp_path,
        base_url="https://afp.example.com/",
        signing_key=KEY,
        url_expiry=timedelta(minutes=10),
        now=lambda: now,
    )


def _parts(url: str) -> tuple[str, int, str]:
    split = urlsplit(url)
    query = parse_qs(split.query)
    key = unquote(split.path.removeprefix("/media/"))
    return key, int(query["expires"][0]), query["sig"][0]


async def test_a_signed_link_points_at_the_media_route_and_verifies(tmp_path: Path) -> None:
    url = await _storage(tmp_path).url_for("videos/u1/v 1.mp4")
    assert url.startswith("https://afp.example.com/media/videos/u1/v%201.mp4?expires=")
    key, expires, sig = _parts(url)
    assert (key, expires) == ("videos/u1/v 1.mp4", int(NOW) + 600)
    verify_media_url(KEY, key, expires, sig, now=NOW + 599)


async def test_a_link_for_another_key_does_not_verify(tmp_path: Path) -> None:
    _, expires, sig = _parts(await _storage(tmp_path).url_for("videos/u1/v1.mp4"))
    with pytest.raises(InvalidSignature, match="does not verify"):
        verify_media_url(KEY, "videos/u2/v1.mp4", expires, sig, now=NOW)


async def test_a_link_with_a_pushed_back_expiry_does_not_verify(tmp_path: Path) -> None:
    key, expires, sig = _parts(await _storage(tmp_path).url_for("videos/u1/v1.mp4"))
    with pytest.raises(InvalidSignature, match="does not verify"):
        verify_media_url(KEY, key, expires + 3600, sig, now=NOW)


async def test_a_link_stops_working_when_it_expires(tmp_path: Path) -> None:
    key, expires, sig = _parts(await _storage(tmp_path).url_for("videos/u1/v1.mp4"))
    with pytest.raises(InvalidSignature, match="expired"):
        verify_media_url(KEY, key, expires, sig, now=float(expires))


def test_a_signature_made_with_another_key_or_garbage_does_not_verify() -> None:
    other = media_signature(b"o" * 32, "k.mp4", int(NOW) + 60)
    for sig in (other, "", "zz", "é" * 64, other.upper()):
        with pytest.raises(InvalidSignature):
            verify_media_url(KEY, "k.mp4", int(NOW) + 60, sig, now=NOW)


def test_signing_needs_a_key_and_a_base_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="base URL"):
        LocalFileStorage(tmp_path, signing_key=KEY)
    with pytest.raises(ValueError, match="signing key"):
        LocalFileStorage(tmp_path, base_url="https://afp.example.com", signing_key=b"")
    assert "sss" not in repr(_storage(tmp_path))
