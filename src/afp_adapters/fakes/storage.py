"""`MemoryMediaStorage`: objects kept in a dict."""

from __future__ import annotations

from afp_core.domain.errors import NotFound
from afp_core.ports.generation import StoredObject


class MemoryMediaStorage:
    """Implements `MediaStorage`; `.objects` maps keys to `(bytes, content_type)`."""

    def __init__(self, base_url: str = "memory://afp") -> None:
        self.base_url = base_url.rstrip("/")
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.puts = 0

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        self.puts += 1
        self.objects[key] = (data, content_type)
        return StoredObject(key, await self.url_for(key), len(data), content_type)

    async def url_for(self, key: str) -> str:
        return f"{self.base_url}/{key}"

    async def exists(self, key: str) -> bool:
        return key in self.objects

    async def read(self, key: str) -> bytes:
        return self._data(key)

    def _data(self, key: str) -> bytes:
        if key not in self.objects:
            raise NotFound(f"no stored object {key!r}")
        return self.objects[key][0]

    async def size(self, key: str) -> int:
        return len(self._data(key))

    async def read_range(self, key: str, offset: int, length: int) -> bytes:
        return self._data(key)[offset : offset + max(0, length)]
