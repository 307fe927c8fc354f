"""`render_video`: product pictures and caption lines -> a vertical H.264 MP4, offline.

Each picture gets an equal slot with a gentle Ken Burns move (zoom 1.00 <-> 1.08 and a drift),
slots cross-fade, captions are timed by word count and drawn in a box in the lower third.
Without a usable picture the video shows gradient cards with the product title, so a render
never fails because of an image. The output is deterministic for the same inputs.
"""

from __future__ import annotations

import math
import tempfile
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction
from functools import cache
from pathlib import Path

import attrs
import av
import structlog
from av.video.stream import VideoStream
from PIL import Image

from afp_adapters.local_video._draw import (
    badge_overlay,
    caption_overlay,
    cover_fit,
    decode,
    placeholder_card,
)
from afp_adapters.local_video._planes import Overlay, Planes, blend, padded_bytes, scaled, to_planes
from afp_adapters.local_video._text import caption_schedule, printable

log = structlog.get_logger("afp.local_video")

ZOOM = 1.08  # how far the Ken Burns move zooms over one slot
FADE_S = 0.4  # cross-fade between slots (shorter when slots are short)
H264_ENCODERS = ("libx264", "libopenh264", "h264")
X264_OPTIONS = {"preset": "veryfast", "crf": "23"}
# (dx, dy) drift of each slot, in turn, as a share of the slack the zoom leaves
_DRIFTS = ((0.8, -0.4), (-0.7, 0.5), (0.4, 0.8), (-0.5, -0.7))
# FFmpeg's colour tags (AVColorRange, AVColorSpace, AVColorPrimaries/Transfer): the planes
# hold BT.601 limited-range YUV made from sRGB pictures
_MPEG_RANGE, _BT601_MATRIX, _BT709 = 1, 6, 1


@cache
def video_encoder() -> str:
    """The best H.264 encoder this FFmpeg build has; mpeg4 (with a warning) when none."""
    for name in H264_ENCODERS:
        try:
            av.codec.Codec(name, "w")
        except (av.FFmpegError, ValueError):  # PyAV's UnknownCodecError
            continue
        return name
    log.warning("local_video.no_h264_encoder", fallback="mpeg4")
    return "mpeg4"


def render_video(
    images: Sequence[Image.Image | bytes],
    captions: Sequence[str],
    *,
    width: int = 1080,
    height: int = 1920,
    duration_s: float,
    fps: int = 30,
    title: str | None = None,
    badge: str | None = None,
) -> bytes:
    """The MP4 bytes: exactly round(duration_s * fps) frames, H.264/yuv420p, moov first.

    `badge` is an optional small label in the top-left corner (the ad disclosure).
    """
    width, height = max(2, width - width % 2), max(2, height - height % 2)
    n_frames = max(1, round(duration_s * fps))
    big = (_even(width * ZOOM), _even(height * ZOOM))
    pictures = [p for p in (decode(i, 2 * max(big)) for i in images) if p is not None]
    lines = [line for line in (printable(c).strip() for c in captions) if line]
    if not pictures:
        cards = max(1, min(len(lines), 3))
        pictures = [placeholder_card(*big, title, index) for index in range(cards)]
    timeline = _Timeline(
        bases=[to_planes(cover_fit(p, *big)) for p in pictures],
        captions=[Overlay(*caption_overlay(c, width, height)) for c in lines],
        shown=caption_schedule(lines, n_frames),
        badge=Overlay(*badge_overlay(badge, width)) if badge else None,
        size=(width, height),
        n_frames=n_frames,
        fade=min(FADE_S * fps, n_frames / len(pictures) * 0.4),
    )
    return _encode(timeline.frames(), width, height, fps)


def _even(value: float) -> int:
    rounded = math.ceil(value)
    return rounded + rounded % 2


@attrs.frozen
class _Timeline:
    """Which picture, move, fade and caption each frame shows."""

    bases: Sequence[Planes]  # cover-fitted to the frame size x ZOOM
    captions: Sequence[Overlay]
    shown: Sequence[int]  # caption index per frame
    badge: Overlay | None
    size: tuple[int, int]
    n_frames: int
    fade: float  # frames

    @property
    def slot(self) -> float:
        return self.n_frames / len(self.bases)

    def frames(self, workers: int = 2, ahead: int = 6) -> Iterator[Planes]:
        """Every frame in order, drawn `ahead` frames early by `workers` threads (Pillow
        releases the GIL while resampling, so drawing overlaps with encoding)."""
        with ThreadPoolExecutor(workers, thread_name_prefix="afp-frames") as pool:
            pending: deque[Future[Planes]] = deque()
            for f in range(self.n_frames):
                pending.append(pool.submit(self.frame, f))
                if len(pending) > ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def frame(self, f: int) -> Planes:
        last = len(self.bases) - 1
        index = min(int(f // self.slot), last)
        frame = self._picture(index, f)
        start, end = index * self.slot, (index + 1) * self.slot
        half = self.fade / 2
        if index < last and f > end - half:  # fading into the next picture
            frame = blend(frame, self._picture(index + 1, f), (f - end + half) / self.fade)
        elif index > 0 and f < start + half:  # still fading out of the previous one
            frame = blend(self._picture(index - 1, f), frame, (f - start + half) / self.fade)
        if self.captions:
            self.captions[self.shown[f]].draw_on(frame)
        if self.badge is not None:
            self.badge.draw_on(frame)
        return frame

    def _picture(self, index: int, f: int) -> Planes:
        """Picture `index` at frame `f`: zoomed and drifted by its progress through its slot."""
        span_start = index * self.slot - self.fade / 2
        progress = min(1.0, max(0.0, (f - span_start) / (self.slot + self.fade)))
        eased = progress * progress * (3 - 2 * progress)  # smoothstep: no jolt at either end
        zoom = 1 + (ZOOM - 1) * (eased if index % 2 == 0 else 1 - eased)
        base_w, base_h = self.bases[index][0].size
        box_w, box_h = base_w / zoom, base_h / zoom
        dx, dy = _DRIFTS[index % len(_DRIFTS)]
        left = (base_w - box_w) / 2 * (1 + dx)
        top = (base_h - box_h) / 2 * (1 + dy)
        return scaled(self.bases[index], (left, top, left + box_w, top + box_h), self.size)


def _encode(frames: Iterator[Planes], width: int, height: int, fps: int) -> bytes:
    """Encode to MP4 through a temporary file: `+faststart` rewrites the file to put moov first."""
    codec = video_encoder()
    with tempfile.TemporaryDirectory(prefix="afp-render-") as tmp:
        path = Path(tmp) / "video.mp4"
        with av.open(
            str(path), mode="w", format="mp4", container_options={"movflags": "+faststart"}
        ) as container:
            stream = container.add_stream(codec, rate=fps)
            if not isinstance(stream, VideoStream):  # a video codec makes a video stream
                raise TypeError(f"{codec} is not a video encoder")
            stream.width, stream.height = width, height
            stream.pix_fmt = "yuv420p"
            context = stream.codec_context
            context.gop_size = 2 * fps  # a keyframe every 2 s: quick seeking
            context.color_range, context.colorspace = _MPEG_RANGE, _BT601_MATRIX
            context.color_primaries, context.color_trc = _BT709, _BT709
            if codec == "libx264":
                stream.options = dict(X264_OPTIONS)
            time_base = Fraction(1, fps)
            for pts, planes in enumerate(frames):
                frame = av.VideoFrame(width, height, "yuv420p")
                for target, plane in zip(frame.planes, planes, strict=True):
                    target.update(padded_bytes(plane, target.line_size))
                frame.pts, frame.time_base = pts, time_base
                frame.color_range, frame.colorspace = _MPEG_RANGE, _BT601_MATRIX
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return path.read_bytes()


__all__ = ["FADE_S", "H264_ENCODERS", "ZOOM", "render_video", "video_encoder"]
