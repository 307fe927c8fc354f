"""Text for the local renderer: script lines, caption timing and line wrapping."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache

from PIL import Image, ImageDraw, ImageFont

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_CLAUSE_END = re.compile("(?<=[,;:\u2014\u2013])\\s+")  # also after em and en dashes
MAX_CAPTION_WORDS = 14  # what a viewer reads in two or three seconds


def script_lines(text: str, max_words: int = MAX_CAPTION_WORDS) -> list[str]:
    """Split a script into short caption lines: by sentence, then by clause, then by words."""
    lines: list[str] = []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        if sentence:
            lines.extend(_shorten(sentence, max_words))
    return lines


def _shorten(sentence: str, max_words: int) -> list[str]:
    if len(sentence.split()) <= max_words:
        return [sentence]
    pieces: list[str] = []
    current: list[str] = []
    for clause in _CLAUSE_END.split(sentence):
        words = clause.split()
        if current and len(current) + len(words) > max_words:
            pieces.append(" ".join(current))
            current = []
        current.extend(words)
        while len(current) > max_words:  # one clause longer than a caption: cut it evenly
            parts = -(-len(current) // max_words)
            size = -(-len(current) // parts)
            pieces.append(" ".join(current[:size]))
            current = current[size:]
    if current:
        pieces.append(" ".join(current))
    return pieces


def caption_schedule(captions: Sequence[str], n_frames: int) -> list[int]:
    """For each frame, the index of the caption shown: time shared by word count, in order."""
    if not captions:
        return []
    weights = [len(c.split()) + 2 for c in captions]  # +2: even a one-word line stays readable
    total = sum(weights)
    schedule: list[int] = []
    start = 0.0
    for index, weight in enumerate(weights):
        end = start + n_frames * weight / total
        schedule.extend([index] * (round(end) - round(start)))
        start = end
    return schedule[:n_frames] + [len(captions) - 1] * (n_frames - len(schedule))


@cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled scalable font: no system font files needed."""
    return ImageFont.load_default(size=size)


# Pillow's bundled font has little beyond ASCII: spell what it lacks with what it has
_PLAIN = str.maketrans(
    {"\u2014": "-", "\u2013": "-", "\u2022": "-", "\u00d7": "x", "\u20ac": "EUR ", "\u00a3": "GBP "}
)


def printable(text: str) -> str:
    """`text` with only characters the bundled font can draw (accents dropped: e for é)."""
    plain = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    return "".join(
        ch for ch in plain if not unicodedata.combining(ch) and (ch.isascii() or _drawable(ch))
    )


def _glyph(ch: str) -> bytes:
    canvas = Image.new("L", (24, 24))
    ImageDraw.Draw(canvas).text((2, 2), ch, font=font(16), fill=255)
    return canvas.tobytes()


@cache
def _drawable(ch: str) -> bool:
    return _glyph(ch) != _glyph("\ue000")  # a private-use character: the "missing" box


def wrap(text: str, size: int, max_width: float) -> list[str]:
    """Greedy word wrap to `max_width` pixels; a single over-long word keeps its own line."""
    face = font(size)
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and face.getlength(candidate) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def fit(text: str, size: int, max_width: float, max_lines: int) -> tuple[int, list[str]]:
    """The largest font size (down to half of `size`) at which `text` wraps to `max_lines`."""
    lines = wrap(text, size, max_width)
    smallest = max(8, size // 2)
    while size > smallest and (
        len(lines) > max_lines or any(font(size).getlength(ln) > max_width for ln in lines)
    ):
        size = max(smallest, int(size * 0.9))
        lines = wrap(text, size, max_width)
    return size, lines


__all__ = [
    "MAX_CAPTION_WORDS",
    "caption_schedule",
    "fit",
    "font",
    "printable",
    "script_lines",
    "wrap",
]
