"""`LocalFileStorage`: objects as files under one root folder."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from afp_core.domain.errors import NotFound, ValidationFailed
from afp_core.ports.generation import StoredObject


class LocalFileStorage:
    """Implements `MediaStorage`. Keys are relative paths; `..` and absolute keys are refused.
    Writes go to a temporary file first and are renamed into place, so a reader never sees a
    half-written video."""

    def __init__(self, root: Path, *, base_url: str | None = None) -> None:
        self._root = root.resolve()
        self._base_url = base_url.rstrip("/") if base_url else None

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
        return f"{self._base_url}/{key}" if self._base_url else str(path)

    async def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    async def read(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise NotFound(f"no stored object {key!r}") from None
