"""One contract for every `MediaStorage`: the memory fake, local files (plain and with signed
links) and an S3 bucket (on moto's S3 server) behave alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from afp_adapters.fakes import MemoryMediaStorage
from afp_adapters.storage import LocalFileStorage
from afp_core.domain.errors import NotFound
from afp_core.ports.generation import MediaStorage
from tests.s3_support import ACCESS_KEY_ID, SECRET_ACCESS_KEY, S3Server

pytestmark = pytest.mark.contract


@pytest.fixture(
    params=["memory", "local", "local-signed", pytest.param("s3", marks=pytest.mark.integration)]
)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MediaStorage]:
    if request.param == "memory":
        yield MemoryMediaStorage()
    elif request.param == "local":
        yield LocalFileStorage(tmp_path / "media")
    elif request.param == "local-signed":
        yield LocalFileStorage(
            tmp_path / "media", base_url="https://afp.example.com", signing_key=b"k" * 32
        )
    else:
        from afp_adapters.storage.s3 import S3MediaStorage

        server: S3Server = request.getfixturevalue("s3_server")
        yield S3MediaStorage(
            server.new_bucket(),
            endpoint_url=server.endpoint,
            access_key_id=ACCESS_KEY_ID,
            secret_access_key=SECRET_ACCESS_KEY,
            prefix="contract",
        )


def _without_query(url: str) -> str:
    """The URL minus its query: expiring links (signed, presigned) differ from second to second."""
    return urlsplit(url)._replace(query="").geturl()


async def test_a_stored_object_exists_and_reports_its_size(storage: MediaStorage) -> None:
    stored = await storage.put("videos/u1/v1.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    assert (stored.key, stored.size, stored.content_type) == ("videos/u1/v1.mp4", 12, "video/mp4")
    assert await storage.exists("videos/u1/v1.mp4")
    assert not await storage.exists("videos/u1/other.mp4")
    assert _without_query(stored.url) == _without_query(await storage.url_for("videos/u1/v1.mp4"))


async def test_putting_the_same_key_again_overwrites_it(storage: MediaStorage) -> None:
    await storage.put("a/b.mp4", b"first", "video/mp4")
    second = await storage.put("a/b.mp4", b"second!", "video/mp4")
    assert second.size == 7 and await storage.exists("a/b.mp4")


async def test_local_files_refuse_keys_that_leave_the_root(tmp_path: Path) -> None:
    from afp_core.domain.errors import ValidationFailed

    storage = LocalFileStorage(tmp_path / "media")
    for key in ("../escape.mp4", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(ValidationFailed):
            await storage.put(key, b"x", "video/mp4")
    assert not (tmp_path / "escape.mp4").exists()


async def test_local_files_are_written_whole(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    await storage.put("v/x.mp4", b"abc", "video/mp4")
    assert (tmp_path / "v" / "x.mp4").read_bytes() == b"abc"
    assert [p.name for p in (tmp_path / "v").iterdir()] == ["x.mp4"]


async def test_a_stored_object_reads_back_and_a_missing_one_is_not_found(
    storage: MediaStorage,
) -> None:
    await storage.put("videos/u/v.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    assert await storage.read("videos/u/v.mp4") == b"\x00\x00\x00\x18ftypmp42"
    with pytest.raises(NotFound):
        await storage.read("videos/u/missing.mp4")


async def test_a_stored_object_keeps_its_bytes_when_overwritten_and_large(
    storage: MediaStorage,
) -> None:
    await storage.put("a/b.mp4", b"first", "video/mp4")
    await storage.put("a/b.mp4", b"second!", "video/mp4")
    assert await storage.read("a/b.mp4") == b"second!"
    big = bytes(range(256)) * (17 * 4096)  # 17 MiB: S3 uploads it in parts
    stored = await storage.put("a/big.mp4", big, "video/mp4")
    assert stored.size == len(big) and await storage.read("a/big.mp4") == big


async def test_size_and_ranges_read_only_what_is_asked(storage: MediaStorage) -> None:
    data = bytes(range(256)) * 40  # 10,240 bytes
    await storage.put("videos/u1/v1.mp4", data, "video/mp4")
    assert await storage.size("videos/u1/v1.mp4") == len(data)
    assert await storage.read_range("videos/u1/v1.mp4", 0, 100) == data[:100]
    assert await storage.read_range("videos/u1/v1.mp4", 5000, 4096) == data[5000:9096]
    assert await storage.read_range("videos/u1/v1.mp4", 10_000, 4096) == data[10_000:]
    assert await storage.read_range("videos/u1/v1.mp4", len(data), 10) == b""
    assert await storage.read_range("videos/u1/v1.mp4", 0, 0) == b""
    with pytest.raises(NotFound):
        await storage.size("videos/u1/missing.mp4")
    with pytest.raises(NotFound):
        await storage.read_range("videos/u1/missing.mp4", 0, 10)
