"""Pictures for the local renderer: decoding, cover-fitting, placeholder cards and overlays."""

from __future__ import annotations

import hashlib
import io
import math
import warnings

from PIL import Image, ImageDraw, ImageOps

from afp_adapters.local_video._text import fit, font, printable

# Gradient pairs for placeholder cards (deep, saturated, white text stays readable on them).
_PALETTES = (
    ((32, 58, 130), (146, 54, 160)),
    ((12, 98, 110), (40, 160, 120)),
    ((150, 50, 60), (230, 130, 60)),
    ((40, 40, 70), (90, 110, 200)),
    ((90, 30, 120), (220, 80, 130)),
)


def decode(image: Image.Image | bytes, max_side: int) -> Image.Image | None:
    """An RGB picture no larger than needed, or None when `image` cannot be decoded."""
    if isinstance(image, Image.Image):
        picture = image
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                picture = Image.open(io.BytesIO(image))
                picture.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale
                picture.load()
        except Exception:  # any undecodable input means "no picture", never a crash
            return None
    try:
        picture = ImageOps.exif_transpose(picture).convert("RGB")
    except Exception:  # a broken EXIF block or mode: same as undecodable
        return None
    if picture.width < 2 or picture.height < 2:
        return None
    if max(picture.size) > max_side:
        picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return picture


def cover_fit(picture: Image.Image, width: int, height: int) -> Image.Image:
    """Scale and centre-crop `picture` so it fills `width` x `height` exactly."""
    return ImageOps.fit(picture, (width, height), Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def placeholder_card(width: int, height: int, title: str | None, index: int = 0) -> Image.Image:
    """A vertical gradient with the product title: what is shown when no image is usable."""
    top, bottom = _PALETTES[(_seed(title or "") + index) % len(_PALETTES)]
    column = Image.new("RGB", (1, 256))
    column.putdata(
        [
            tuple(round(a + (b - a) * y / 255) for a, b in zip(top, bottom, strict=True))
            for y in range(256)
        ]
    )
    card = column.resize((width, height), Image.Resampling.BILINEAR)
    if title:
        _draw_title(card, title)
    return card


def _draw_title(card: Image.Image, title: str) -> None:
    width, height = card.size
    size, lines = fit(printable(title), max(12, width // 11), width * 0.82, max_lines=4)
    face = font(size)
    draw = ImageDraw.Draw(card)
    line_height = round(size * 1.2)
    y = round(height * 0.36 - line_height * len(lines) / 2)
    for line in lines:
        draw.text(
            (width / 2, y),
            line,
            font=face,
            fill=(255, 255, 255),
            anchor="ma",
            stroke_width=max(1, size // 18),
            stroke_fill=(0, 0, 0),
        )
        y += line_height


def caption_overlay(text: str, width: int, height: int) -> tuple[Image.Image, tuple[int, int]]:
    """A rounded, semi-transparent caption box (RGBA) and where it goes: the lower third."""
    margin = round(width * 0.08)
    pad = max(4, round(width * 0.035))
    size, lines = fit(
        printable(text) or " ", max(10, round(width * 0.058)), width - 2 * margin - 2 * pad, 4
    )
    face = font(size)
    line_height = round(size * 1.25)
    text_width = max((math.ceil(face.getlength(line)) for line in lines), default=0)
    box_width = min(width - 2 * margin, text_width + 2 * pad)
    box_height = line_height * len(lines) + 2 * pad - (line_height - size)
    overlay = Image.new("RGBA", (box_width, box_height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rounded_rectangle((0, 0, box_width - 1, box_height - 1), radius=pad, fill=(0, 0, 0, 150))
    y = pad
    for line in lines:
        draw.text((box_width / 2, y), line, font=face, fill=(255, 255, 255, 255), anchor="ma")
        y += line_height
    centre_y = round(height * 0.76)
    top = min(height - box_height - pad, max(0, centre_y - box_height // 2))
    return overlay, ((width - box_width) // 2, top)


def badge_overlay(text: str, width: int) -> tuple[Image.Image, tuple[int, int]]:
    """A small label for the top-left corner (the ad disclosure)."""
    size = max(8, round(width * 0.03))
    face = font(size)
    text = printable(text)
    pad = max(3, size // 2)
    box = (math.ceil(face.getlength(text)) + 2 * pad, size + 2 * pad)
    overlay = Image.new("RGBA", box, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rounded_rectangle((0, 0, box[0] - 1, box[1] - 1), radius=pad, fill=(0, 0, 0, 120))
    draw.text((pad, pad), text, font=face, fill=(255, 255, 255, 230), anchor="la")
    return overlay, (round(width * 0.04), round(width * 0.04))


__all__ = ["badge_overlay", "caption_overlay", "cover_fit", "decode", "placeholder_card"]
