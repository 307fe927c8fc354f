"""Ports for the content pipeline: scraping, scripts, moderation, video rendering, storage."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Protocol

import attrs

from afp_core.domain.product import ImageMeta, ProductFacts
from afp_core.domain.script import Script, ScriptOptions
from afp_core.domain.video import FailureKind, VideoSpec


class ProductScraper(Protocol):
    async def scrape(self, url: str) -> ProductFacts:
        """Fetch and extract product facts. `BlockedUrl` for a URL that may not be fetched
        (scheme, private address...), `ScrapeBlocked` for a captcha, login wall or empty page,
        `ProviderUnavailable` when the shop does not answer."""
        ...


class ScriptWriter(Protocol):
    async def write(self, product: ProductFacts, options: ScriptOptions) -> Sequence[Script]:
        """`options.count` scripts with distinct hooks and angles. Every `Claim` lists the ids
        of the product facts (`ProductFacts.facts()`) that support it."""
        ...


class ContentModerator(Protocol):
    async def flags(self, text: str, image_urls: Sequence[str]) -> Sequence[str]:
        """Policy categories the content is flagged for (empty when clean)."""
        ...


class ImageInspector(Protocol):
    async def inspect(self, urls: Sequence[str]) -> Sequence[ImageMeta]:
        """Sizes of the images where they can be learnt cheaply; unknown sizes stay None."""
        ...


class TaskState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@attrs.frozen
class VideoRequest:
    """One render, as the core asks for it."""

    video_id: str
    spec: VideoSpec
    callback_url: str | None = None


@attrs.frozen
class TaskStatus:
    """A provider's answer about one task, classified by the adapter."""

    state: TaskState
    result_url: str | None = None
    failure: FailureKind | None = None
    message: str = ""
    progress: int | None = None


class VideoGenerator(Protocol):
    async def submit(self, request: VideoRequest) -> str:
        """Create the render task and return the provider's task id. Raises
        `ProviderUnavailable` (retry later), `ProviderRejected` (never retry) or
        `ProviderOutOfCredits` (pause and alert)."""
        ...

    async def status(self, task_id: str) -> TaskStatus:
        """The task's current state; a task the provider does not know yet is PENDING."""
        ...

    async def download(self, result_url: str) -> bytes:
        """The finished video's bytes (provider URLs expire: call this at once)."""
        ...


@attrs.frozen
class StoredObject:
    key: str
    url: str
    size: int
    content_type: str


class MediaStorage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Store (or overwrite, idempotently) an object under `key`."""
        ...

    async def url_for(self, key: str) -> str:
        """A URL (or local path) a user can fetch the object from."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def read(self, key: str) -> bytes:
        """The stored bytes; `NotFound` when there is no object under `key`."""
        ...

    async def size(self, key: str) -> int:
        """The stored object's size in bytes, without reading it; `NotFound` when missing."""
        ...

    async def read_range(self, key: str, offset: int, length: int) -> bytes:
        """Up to `length` bytes from `offset` (fewer at the end, none past it), without reading
        the rest (uploads in chunks); `NotFound` when there is no object under `key`."""
        ...


__all__ = [
    "ContentModerator",
    "ImageInspector",
    "MediaStorage",
    "ProductScraper",
    "ScriptWriter",
    "StoredObject",
    "TaskState",
    "TaskStatus",
    "VideoGenerator",
    "VideoRequest",
]
