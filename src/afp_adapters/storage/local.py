"""`LocalFileStorage`: objects as files under one root folder, and signed links to them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from afp_core.domain.errors import InvalidSignature, NotFound, ValidationFailed
from afp_core.ports.generation import StoredObject


def media_signature(signing_key: bytes, key: str, expires: int) -> str:
    """The hex HMAC-SHA256 of `key` and `expires` (a newline between: unambiguous, since
    `expires` is digits only)."""
    message = f"{key}\n{expires}".encode()
    return hmac.new(signing_key, message, hashlib.sha256).hexdigest()


def verify_media_url(signing_key: bytes, key: str, expires: int, sig: str, *, now: float) -> None:
    """Raise `InvalidSignature` unless `sig` signs `key` and `expires` and `now` is before
    `expires`. The comparison takes the same time wherever the signatures differ."""
    expected = media_signature(signing_key, key, expires).encode()
    if not hmac.compare_digest(expected, sig.encode("utf-8", "replace")):
        raise InvalidSignature("the media link's signature does not verify")
    if now >= expires:
        raise InvalidSignature("the media link has expired")


class LocalFileStorage:
    """Implements `MediaStorage`. Keys are relative paths; `..` and absolute keys are refused.
    Writes go to a temporary file first and are renamed into place, so a reader never sees a
    half-written video.

    `url_for` is the file's path, or `base_url/<key>`; with a `signing_key` it is
    `base_url/media/<key>?expires=<unix>&sig=<hex>`, valid for `url_expiry` (checked by
    `verify_media_url`)."""

    def __init__(
        self,
        root: Path,
        *,
        base_url: str | None = None,
        signing_key: bytes | None = None,
        url_expiry: timedelta = timedelta(hours=1),
        now: Callable[[], float] = time.time,
    ) -> None:
        if signing_key is not None and (not signing_key or not base_url):
            raise ValueError("signed media links need a non-empty signing key and a base URL")
        if url_expiry < timedelta(seconds=1):
            raise ValueError("a media link must live at least a second")
        self._root = root.resolve()
        self._base_url = base_url.rstrip("/") if base_url else None
        self._signing_key = signing_key
        self._expiry_s = int(url_expiry.total_seconds())
        self._now = now

    def __repr__(self) -> str:
        signed = "signed" if self._signing_key else "unsigned"
        return f"LocalFileStorage({str(self._root)!r}, {signed})"

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if not key or key.startswith("/") or not path.is_relative_to(self._root):
            raise ValidationFailed(f"storage key {key!r} leaves the storage root")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        path = self._path(key)
        await asyncio.to_thread(self._write, path, data)
        return StoredObject(
            key=key, url=await self.url_for(key), size=len(data), content_type=content_type
        )

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)

    async def url_for(self, key: str) -> str:
        path = self._path(key)
        if self._signing_key is not None:
            expires = int(self._now()) + self._expiry_s
            sig = media_signature(self._signing_key, key, expires)
            return f"{self._base_url}/media/{quote(key, safe='/')}?expires={expires}&sig={sig}"
        return f"{self._base_url}/{key}" if self._base_url else str(path)

    async def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    async def read(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError):
            raise NotFound(f"no stored object {key!r}") from None

    async def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"no stored object {key!r}")
        return path.stat().st_size

    async def read_range(self, key: str, offset: int, length: int) -> bytes:
        path = self._path(key)

        def read() -> bytes:
            with path.open("rb") as file:
                file.seek(offset)
                return file.read(max(0, length))

        try:
            return await asyncio.to_thread(read)
        except (FileNotFoundError, IsADirectoryError):
            raise NotFound(f"no stored object {key!r}") from None
