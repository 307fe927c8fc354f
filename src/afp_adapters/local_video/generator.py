"""`LocalVideoGenerator`: a `VideoGenerator` that renders real MP4s on this machine, offline."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from PIL import Image

from afp_adapters.local_video._text import script_lines
from afp_adapters.local_video.images import ImageSource, OfflineImageSource
from afp_adapters.local_video.render import render_video
from afp_core.domain.errors import ProviderRejected
from afp_core.domain.video import VideoSpec
from afp_core.ports.generation import TaskState, TaskStatus, VideoRequest

DEFAULT_DURATION_S = 8
RESULT_PREFIX = "local://"
# What the core's enhanced prompt says (see afp_core.domain._assessment_rules): best effort only
_PRODUCT_NAME = re.compile(r"\buses (.+?), on camera\b")
_DISCLOSURE = re.compile(r'Disclosure: show "([^"]+)"')


class Renderer(Protocol):
    def __call__(
        self,
        images: Sequence[Image.Image | bytes],
        captions: Sequence[str],
        *,
        width: int,
        height: int,
        duration_s: float,
        fps: int,
        title: str | None = None,
        badge: str | None = None,
    ) -> bytes: ...


class LocalVideoGenerator:
    """Implements `VideoGenerator` with `render_video`: no network, no keys, no cost.

    `submit` renders at once (in a worker thread, so the event loop stays free) and the task is
    SUCCEEDED from then on. Results live in memory, and also as `<task id>.mp4` files in
    `storage_dir` when given (so they outlive the process). The task id is a hash of what was
    rendered, so submitting the same request again reuses the finished render.
    """

    def __init__(
        self,
        storage_dir: Path | None = None,
        *,
        width: int = 1080,
        height: int = 1920,
        fps: int = 30,
        image_source: ImageSource | None = None,
        renderer: Renderer = render_video,
    ) -> None:
        self._storage_dir = storage_dir
        self._size = (width, height)
        self._fps = fps
        self._images = image_source or OfflineImageSource()
        self._renderer = renderer
        self._results: dict[str, bytes] = {}
        self.renders = 0  # how many videos were actually rendered (for tests and the demo)

    async def submit(self, request: VideoRequest) -> str:
        spec = request.spec
        width, height = frame_size(spec.aspect_ratio, self._size)
        task_id = f"local-{request.video_id}-{_fingerprint(spec, width, height, self._fps)}"
        if await self._load(task_id) is not None:
            return task_id
        fetched = [await self._images.fetch(url) for url in spec.image_urls]
        images = [data for data in fetched if data is not None]
        try:
            video = await asyncio.to_thread(
                self._renderer,
                images,
                script_lines(spec.script_text),
                width=width,
                height=height,
                duration_s=spec.duration_s if spec.duration_s > 0 else DEFAULT_DURATION_S,
                fps=self._fps,
                title=product_name(spec),
                badge=disclosure(spec),
            )
        except Exception as error:  # the renderer is local code: any failure is final
            raise ProviderRejected(f"local render failed: {error}") from error
        self.renders += 1
        self._results[task_id] = video
        if self._storage_dir is not None:
            await asyncio.to_thread(self._write, task_id, video)
        return task_id

    async def status(self, task_id: str) -> TaskStatus:
        if await self._load(task_id) is None:
            return TaskStatus(TaskState.PENDING, message="no local render with this id")
        return TaskStatus(TaskState.SUCCEEDED, result_url=result_url(task_id), progress=100)

    async def download(self, result_url: str) -> bytes:
        task_id = result_url.removeprefix(RESULT_PREFIX).removesuffix(".mp4")
        video = await self._load(task_id) if result_url.startswith(RESULT_PREFIX) else None
        if video is None:
            raise ProviderRejected(f"unknown local result URL {result_url}")
        return video

    async def _load(self, task_id: str) -> bytes | None:
        if task_id in self._results:
            return self._results[task_id]
        path = self._path(task_id)
        if path is None or not await asyncio.to_thread(path.is_file):
            return None
        video = await asyncio.to_thread(path.read_bytes)
        self._results[task_id] = video
        return video

    def _path(self, task_id: str) -> Path | None:
        if self._storage_dir is None or not re.fullmatch(r"[A-Za-z0-9_.-]+", task_id):
            return None  # never build a path from an id that could leave the directory
        return self._storage_dir / f"{task_id}.mp4"

    def _write(self, task_id: str, video: bytes) -> None:
        path = self._path(task_id)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(video)
        partial.replace(path)  # atomic: a reader never sees half a file


def result_url(task_id: str) -> str:
    return f"{RESULT_PREFIX}{task_id}.mp4"


def frame_size(aspect_ratio: str, portrait: tuple[int, int]) -> tuple[int, int]:
    """Even frame dimensions for `aspect_ratio` ("9:16", "16:9", "1:1"...): the short side is
    the short side of `portrait`; an unreadable ratio keeps `portrait`."""
    try:
        across, down = (float(part) for part in aspect_ratio.split(":"))
    except ValueError:
        return portrait
    if not (across > 0 and down > 0):
        return portrait
    short = min(portrait)
    width, height = (
        (short, short * down / across) if across <= down else (short * across / down, short)
    )
    return max(2, round(width / 2) * 2), max(2, round(height / 2) * 2)


def product_name(spec: VideoSpec) -> str | None:
    found = _PRODUCT_NAME.search(spec.prompt)
    if found:
        return found.group(1).strip()
    lines = script_lines(spec.script_text)
    return lines[0] if lines else None


def disclosure(spec: VideoSpec) -> str | None:
    found = _DISCLOSURE.search(spec.prompt)
    return found.group(1) if found else None


def _fingerprint(spec: VideoSpec, width: int, height: int, fps: int) -> str:
    what = json.dumps(
        [spec.prompt, spec.script_text, list(spec.image_urls), spec.duration_s, width, height, fps]
    )
    return hashlib.sha256(what.encode()).hexdigest()[:12]


__all__ = ["DEFAULT_DURATION_S", "LocalVideoGenerator", "Renderer", "frame_size", "result_url"]
