"""`LocalVideoGenerator`: a `VideoGenerator` that renders real MP4s on this machine, offline."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import attrs
from PIL import Image

from afp_adapters.local_video._text import script_lines
from afp_adapters.local_video.images import ImageSource, OfflineImageSource
from afp_adapters.local_video.render import render_video
from afp_core.domain.errors import ProviderRejected, ProviderUnavailable
from afp_core.domain.video import FailureKind, VideoSpec
from afp_core.ports.generation import TaskState, TaskStatus, VideoRequest

DEFAULT_DURATION_S = 8
DEFAULT_MAX_KEPT_RENDERS = 16  # MP4s held in memory without a storage_dir
DEFAULT_MAX_REMEMBERED_TASKS = 1024  # render inputs remembered to make an evicted MP4 again
_MAX_FORGOTTEN = 4096  # ids past that, remembered only to say FAILED instead of PENDING
_NOT_HELD = (
    "render no longer held: this local generator keeps a bounded number of renders in memory; "
    "give it a storage_dir to keep them all"
)
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


@attrs.frozen
class _Inputs:
    """What a render was made from: enough to make the same video again (the same pictures,
    given the same images; not the same bytes: x264's threads and the MP4's creation time)."""

    spec: VideoSpec
    width: int
    height: int


class LocalVideoGenerator:
    """Implements `VideoGenerator` with `render_video`: no network, no keys, no cost.

    `submit` renders at once (in a worker thread, so the event loop stays free) and the task is
    SUCCEEDED from then on. The task id is a hash of what was rendered, so submitting the same
    request again reuses the finished render.

    Where results live (memory stays bounded):

    * with `storage_dir`: only on disk, as `<task id>.mp4` (they outlive the process); nothing
      is kept in memory, `download` reads the file back.
    * without: in memory, the last `max_kept_renders` (16 by default) only. An older render is
      made again from its inputs when asked for (the same video, not the same bytes); inputs
      are remembered for the last `max_remembered_tasks` (1024 by default). Past that, its
      status is FAILED ("render no longer held"): give a `storage_dir` to keep every render.

    A task id this generator never rendered (e.g. from before a restart without `storage_dir`)
    is PENDING, so the core's deadline decides.
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
        max_kept_renders: int = DEFAULT_MAX_KEPT_RENDERS,
        max_remembered_tasks: int = DEFAULT_MAX_REMEMBERED_TASKS,
    ) -> None:
        if max_kept_renders < 1 or max_remembered_tasks < 1:
            raise ValueError("max_kept_renders and max_remembered_tasks must be at least 1")
        self._storage_dir = storage_dir
        self._size = (width, height)
        self._fps = fps
        self._images = image_source or OfflineImageSource()
        self._renderer = renderer
        self._max_kept = max_kept_renders
        self._max_remembered = max_remembered_tasks
        self._results: OrderedDict[str, bytes] = OrderedDict()  # LRU, only without storage_dir
        self._inputs: OrderedDict[str, _Inputs] = OrderedDict()  # LRU, to render again
        self._forgotten: OrderedDict[str, None] = OrderedDict()  # ids past both, for FAILED
        self.renders = 0  # how many videos were actually rendered (for tests and the demo)

    async def submit(self, request: VideoRequest) -> str:
        spec = request.spec
        width, height = frame_size(spec.aspect_ratio, self._size)
        task_id = f"local-{request.video_id}-{_fingerprint(spec, width, height, self._fps)}"
        inputs = _Inputs(spec, width, height)
        self._remember(task_id, inputs)
        if await self._exists(task_id):
            return task_id
        await self._render(task_id, inputs)
        return task_id

    async def status(self, task_id: str) -> TaskStatus:
        if await self._exists(task_id) or task_id in self._inputs:
            return TaskStatus(TaskState.SUCCEEDED, result_url=result_url(task_id), progress=100)
        if task_id in self._forgotten:
            return TaskStatus(TaskState.FAILED, failure=FailureKind.TERMINAL, message=_NOT_HELD)
        return TaskStatus(TaskState.PENDING, message="no local render with this id")

    async def download(self, result_url: str) -> bytes:
        task_id = result_url.removeprefix(RESULT_PREFIX).removesuffix(".mp4")
        video = await self._load(task_id) if result_url.startswith(RESULT_PREFIX) else None
        inputs = self._inputs.get(task_id)
        if video is None and inputs is not None:
            video = await self._render(task_id, inputs)  # evicted or deleted: make it again
        if video is None:
            why = f" ({_NOT_HELD})" if task_id in self._forgotten else ""
            raise ProviderRejected(f"unknown local result URL {result_url}{why}")
        return video

    # ------------------------------------------------------------------ helpers

    async def _render(self, task_id: str, inputs: _Inputs) -> bytes:
        spec = inputs.spec
        fetched = [await self._images.fetch(url) for url in spec.image_urls]
        images = [data for data in fetched if data is not None]
        try:
            video = await asyncio.to_thread(
                self._renderer,
                images,
                script_lines(spec.script_text),
                width=inputs.width,
                height=inputs.height,
                duration_s=spec.duration_s if spec.duration_s > 0 else DEFAULT_DURATION_S,
                fps=self._fps,
                title=product_name(spec),
                badge=disclosure(spec),
            )
        except Exception as error:  # the renderer is local code: any failure is final
            raise ProviderRejected(f"local render failed: {error}") from error
        self.renders += 1
        if self._storage_dir is None:
            self._keep(task_id, video)
        else:
            try:
                await asyncio.to_thread(self._write, task_id, video)
            except OSError as error:  # a full or read-only disk may pass
                raise ProviderUnavailable(f"could not store the local render: {error}") from error
        return video

    def _keep(self, task_id: str, video: bytes) -> None:
        self._results[task_id] = video
        self._results.move_to_end(task_id)
        while len(self._results) > self._max_kept:
            self._results.popitem(last=False)

    def _remember(self, task_id: str, inputs: _Inputs) -> None:
        self._inputs[task_id] = inputs
        self._inputs.move_to_end(task_id)
        self._forgotten.pop(task_id, None)
        while len(self._inputs) > self._max_remembered:
            gone, _ = self._inputs.popitem(last=False)
            self._results.pop(gone, None)
            self._forgotten[gone] = None
        while len(self._forgotten) > _MAX_FORGOTTEN:
            self._forgotten.popitem(last=False)

    async def _exists(self, task_id: str) -> bool:
        if task_id in self._results:
            return True
        path = self._path(task_id)
        return path is not None and await asyncio.to_thread(path.is_file)

    async def _load(self, task_id: str) -> bytes | None:
        if task_id in self._results:
            self._results.move_to_end(task_id)
            return self._results[task_id]
        path = self._path(task_id)
        if path is None:
            return None
        try:
            return await asyncio.to_thread(path.read_bytes)  # never cached: the disk holds it
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ProviderUnavailable(f"could not read the local render: {error}") from error

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


__all__ = [
    "DEFAULT_DURATION_S",
    "DEFAULT_MAX_KEPT_RENDERS",
    "DEFAULT_MAX_REMEMBERED_TASKS",
    "LocalVideoGenerator",
    "Renderer",
    "frame_size",
    "result_url",
]
