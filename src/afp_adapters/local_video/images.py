"""Where the local renderer gets product images: an injectable source that never goes online."""

from __future__ import annotations

import asyncio
import base64
import binascii
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # a product photo; anything bigger is not worth decoding


class ImageSource(Protocol):
    async def fetch(self, url: str) -> bytes | None:
        """The image's bytes, or None when it cannot (or may not) be read. Never raises."""
        ...


class OfflineImageSource:
    """Implements `ImageSource` without any network: `file://` paths and `data:` URLs only.

    http(s) and every other scheme answer None, so the renderer draws a placeholder card.
    A safe HTTP fetcher can be plugged in instead where going online is allowed.
    """

    def __init__(self, max_bytes: int = MAX_IMAGE_BYTES) -> None:
        self._max_bytes = max_bytes

    async def fetch(self, url: str) -> bytes | None:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._cap(_data_url(url))
        if scheme == "file":
            return await asyncio.to_thread(self._read_file, url)
        return None

    def _read_file(self, url: str) -> bytes | None:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path))
        try:
            if not path.is_file() or path.stat().st_size > self._max_bytes:
                return None
            return path.read_bytes()
        except OSError:
            return None

    def _cap(self, data: bytes | None) -> bytes | None:
        return data if data is not None and len(data) <= self._max_bytes else None


def _data_url(url: str) -> bytes | None:
    """Decode `data:[<media type>][;base64],<data>`; None when malformed."""
    header, sep, payload = url[len("data:") :].partition(",")
    if not sep:
        return None
    if header.lower().endswith(";base64"):
        try:
            return base64.b64decode("".join(payload.split()), validate=True)
        except (binascii.Error, ValueError):
            return None
    return unquote_to_bytes(payload)


__all__ = ["MAX_IMAGE_BYTES", "ImageSource", "OfflineImageSource"]
