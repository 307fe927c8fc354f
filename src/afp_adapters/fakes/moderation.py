"""`FakeContentModerator` and `FakeImageInspector`: configurable, no network."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from afp_core.domain.product import ImageMeta


class FakeContentModerator:
    """Implements `ContentModerator`: flags text containing any configured trigger word."""

    def __init__(self, triggers: Mapping[str, str] | None = None) -> None:
        self.triggers = dict(triggers or {})  # word -> category
        self.checked: list[str] = []

    async def flags(self, text: str, image_urls: Sequence[str]) -> Sequence[str]:
        self.checked.append(text)
        lowered = text.lower()
        return sorted({cat for word, cat in self.triggers.items() if word.lower() in lowered})


class FakeImageInspector:
    """Implements `ImageInspector`: known sizes from a table, others unknown."""

    def __init__(self, sizes: Mapping[str, tuple[int, int]] | None = None) -> None:
        self.sizes = dict(sizes or {})

    async def inspect(self, urls: Sequence[str]) -> Sequence[ImageMeta]:
        return [ImageMeta(u, *self.sizes[u]) if u in self.sizes else ImageMeta(u) for u in urls]
