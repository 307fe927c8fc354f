"""Helpers to look inside rendered MP4s."""

from __future__ import annotations

import io
import struct

import attrs
import av
from av.video.stream import VideoStream
from PIL import Image


@attrs.frozen
class Probe:
    codec: str
    width: int
    height: int
    pix_fmt: str
    stream_s: float
    container_s: float
    frames: list[Image.Image]


def probe(data: bytes) -> Probe:
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        assert isinstance(stream, VideoStream)
        assert stream.duration is not None and stream.time_base is not None
        assert container.duration is not None
        # PyAV's stub leaves to_image unannotated
        frames = [frame.to_image() for frame in container.decode(stream)]  # type: ignore[no-untyped-call]
        return Probe(
            codec=stream.codec_context.name,
            width=stream.width,
            height=stream.height,
            pix_fmt=str(stream.format.name),
            stream_s=float(stream.duration * stream.time_base),
            container_s=container.duration / av.time_base,
            frames=frames,
        )


def top_level_boxes(data: bytes) -> list[str]:
    boxes: list[str] = []
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (300, 400)) -> bytes:
    picture = Image.new("RGB", size, colour)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG")
    return buffer.getvalue()
