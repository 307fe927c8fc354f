"""`S3MediaStorage` against a real S3 server (moto's, on loopback): links, refusals, outages.

moto answers presigned URLs without checking `X-Amz-Expires` (moto 5.2 does not enforce it),
so the expiry test proves what the URL asks the store to enforce; the contract suite
(`tests/contract/test_media_storage.py`) runs every other `MediaStorage` rule on S3.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from afp_core.domain.errors import NotFound, ProviderRejected, ProviderUnavailable, ValidationFailed
from tests import s3_support
from tests.s3_support import ACCESS_KEY_ID, SECRET_ACCESS_KEY, S3Server

pytestmark = pytest.mark.integration


def _storage(server: S3Server, bucket: str, **options: Any) -> Any:
    from afp_adapters.storage.s3 import S3MediaStorage

    keys = {"access_key_id": ACCESS_KEY_ID, "secret_access_key": SECRET_ACCESS_KEY}
    return S3MediaStorage(bucket, endpoint_url=server.endpoint, **(keys | options))


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@contextmanager
def locked_down() -> Iterator[None]:
    """moto checks every request's keys and the caller's IAM policies inside this block."""
    from moto import settings

    saved = settings.INITIAL_NO_AUTH_ACTION_COUNT
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    try:
        yield
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = saved


async def test_a_presigned_link_downloads_the_object_with_its_content_type(
    s3_server: S3Server, bucket: str
) -> None:
    storage = _storage(s3_server, bucket, prefix="media")
    stored = await storage.put("videos/u1/v1.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    assert urlsplit(stored.url).path == f"/{bucket}/media/videos/u1/v1.mp4"
    async with httpx.AsyncClient() as http:
        answer = await http.get(stored.url)
    assert answer.status_code == 200
    assert answer.content == b"\x00\x00\x00\x18ftypmp42"
    assert answer.headers["content-type"] == "video/mp4"
    async with httpx.AsyncClient() as http:  # the signature covers the key: no other object
        other = await http.get(stored.url.replace("v1.mp4", "v2.mp4"))
    assert other.status_code in (403, 404)


async def test_a_presigned_link_carries_its_expiry_for_the_store_to_enforce(
    s3_server: S3Server, bucket: str
) -> None:
    storage = _storage(s3_server, bucket, url_expiry=timedelta(seconds=90))
    before = time.time()
    query = parse_qs(urlsplit(await storage.url_for("v.mp4")).query)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert query["X-Amz-Expires"] == ["90"]
    assert abs(signed_at.timestamp() - before) < 5  # valid from now, for 90 s
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert SECRET_ACCESS_KEY not in str(query)


async def test_a_public_bucket_links_straight_to_the_object(
    s3_server: S3Server, bucket: str
) -> None:
    storage = _storage(s3_server, bucket, prefix="p", public_base_url="https://cdn.example.com/")
    stored = await storage.put("v/a b.mp4", b"x", "video/mp4")
    assert stored.url == "https://cdn.example.com/p/v/a%20b.mp4"


async def test_keys_that_climb_out_start_at_the_root_or_run_too_long_are_refused(
    s3_server: S3Server, bucket: str
) -> None:
    storage = _storage(s3_server, bucket)
    for key in ("../escape.mp4", "/etc/passwd", "a/../../b", "", "k" * 1025):
        with pytest.raises(ValidationFailed):
            await storage.put(key, b"x", "video/mp4")
    assert s3_server.client().list_objects_v2(Bucket=bucket).get("KeyCount") == 0


async def test_a_missing_bucket_is_a_rejection_that_names_the_setting(
    s3_server: S3Server,
) -> None:
    storage = _storage(s3_server, "afp-no-such-bucket")
    with pytest.raises(ProviderRejected, match=r"does not exist.*AFP_STORAGE_URL"):
        await storage.put("v.mp4", b"x", "video/mp4")
    with pytest.raises(ProviderRejected, match="AFP_STORAGE_URL"):
        await storage.read("v.mp4")


async def test_a_missing_object_does_not_exist_and_is_not_found(
    s3_server: S3Server, bucket: str
) -> None:
    storage = _storage(s3_server, bucket)
    assert not await storage.exists("nothing.mp4")
    with pytest.raises(NotFound):
        await storage.read("nothing.mp4")


async def test_unknown_keys_and_missing_permissions_are_rejections_naming_the_credentials(
    s3_server: S3Server, bucket: str
) -> None:
    made = s3_server.user_without_rights()
    unknown = _storage(s3_server, bucket, access_key_id="AKIAUNKNOWN000000000")
    no_rights = _storage(
        s3_server,
        bucket,
        access_key_id=made["AccessKeyId"],
        secret_access_key=made["SecretAccessKey"],
    )
    for storage, code in ((unknown, "InvalidAccessKeyId"), (no_rights, "AccessDenied")):
        with (
            locked_down(),
            pytest.raises(ProviderRejected, match="AFP_S3_ACCESS_KEY_ID") as refused,
        ):
            await storage.put("v.mp4", b"x", "video/mp4")
        assert code in refused.value.message
        assert SECRET_ACCESS_KEY not in refused.value.message
        assert made["SecretAccessKey"] not in refused.value.message


async def test_a_stopped_server_makes_the_store_unavailable() -> None:
    with s3_support.moto_server() as server:
        storage = _storage(server, server.new_bucket())
        await storage.put("v.mp4", b"x", "video/mp4")
    started = time.monotonic()
    for call in (storage.read("v.mp4"), storage.exists("v.mp4"), storage.put("w", b"", "t")):
        with pytest.raises(ProviderUnavailable, match="cannot be reached"):
            await call
    assert time.monotonic() - started < 10  # a few quick retries, then the domain error


def test_the_secret_key_never_shows_in_the_storage_repr(s3_server: S3Server) -> None:
    storage = _storage(s3_server, "afp-any")
    assert SECRET_ACCESS_KEY not in repr(storage)
    assert "afp-any" in repr(storage)
