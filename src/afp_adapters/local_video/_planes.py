"""Pictures as limited-range YUV 4:2:0 planes (BT.601), the way the H.264 encoder wants them.

Working on planes instead of RGB frames means the per-frame work (resampling, blending,
compositing) touches half the bytes and needs no colour conversion, so a 1080x1920 frame costs
a few milliseconds of Pillow time, mostly outside the GIL.
"""

from __future__ import annotations

from PIL import Image

Planes = tuple[Image.Image, Image.Image, Image.Image]  # Y (full size), Cb and Cr (half size)

# Pillow's YCbCr is full range (JPEG); H.264 players expect the limited "TV" range.
_LUMA = [round(16 + v * 219 / 255) for v in range(256)]
_CHROMA = [round(128 + (v - 128) * 224 / 255) for v in range(256)]


def to_planes(picture: Image.Image) -> Planes:
    """Split an RGB picture of even size into Y, Cb, Cr planes."""
    y, cb, cr = picture.convert("RGB").convert("YCbCr").split()
    half = (picture.width // 2, picture.height // 2)
    return (
        y.point(_LUMA),
        cb.resize(half, Image.Resampling.BOX).point(_CHROMA),
        cr.resize(half, Image.Resampling.BOX).point(_CHROMA),
    )


def scaled(planes: Planes, box: tuple[float, float, float, float], size: tuple[int, int]) -> Planes:
    """Resample the region `box` (in luma pixels) of `planes` to `size` (luma pixels)."""
    half_box = (box[0] / 2, box[1] / 2, box[2] / 2, box[3] / 2)
    half = (size[0] // 2, size[1] // 2)
    y, cb, cr = planes
    return (
        y.resize(size, Image.Resampling.BILINEAR, box=box),
        cb.resize(half, Image.Resampling.BILINEAR, box=half_box),
        cr.resize(half, Image.Resampling.BILINEAR, box=half_box),
    )


def blend(first: Planes, second: Planes, alpha: float) -> Planes:
    a, b, c = (Image.blend(p, q, alpha) for p, q in zip(first, second, strict=True))
    return a, b, c


class Overlay:
    """An RGBA picture ready to composite onto planes at an even position."""

    def __init__(self, picture: Image.Image, at: tuple[int, int]) -> None:
        width, height = picture.width + picture.width % 2, picture.height + picture.height % 2
        padded = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        padded.paste(picture, (0, 0))
        self.planes = to_planes(padded.convert("RGB"))
        alpha = padded.getchannel("A")
        self.masks = (alpha, alpha.resize((width // 2, height // 2), Image.Resampling.BOX))
        self.at = (at[0] - at[0] % 2, at[1] - at[1] % 2)

    def draw_on(self, planes: Planes) -> None:
        x, y = self.at
        luma, chroma = self.masks
        planes[0].paste(self.planes[0], (x, y), luma)
        planes[1].paste(self.planes[1], (x // 2, y // 2), chroma)
        planes[2].paste(self.planes[2], (x // 2, y // 2), chroma)


def padded_bytes(plane: Image.Image, line_size: int) -> bytes:
    """The plane's rows, each padded to `line_size` bytes (the encoder frame's stride)."""
    if plane.width != line_size:
        plane = plane.crop((0, 0, line_size, plane.height))  # pads with zeros on the right
    return plane.tobytes()


__all__ = ["Overlay", "Planes", "blend", "padded_bytes", "scaled", "to_planes"]
