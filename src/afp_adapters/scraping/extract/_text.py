"""Text helpers shared by the extractors: whitespace, hidden nodes, HTML decoding."""

from __future__ import annotations

import html as _html
import re

from selectolax.lexbor import LexborNode

from afp_adapters.scraping.decoding import decode_text

_SPACES = re.compile(r"\s+")
_INVISIBLE = str.maketrans("", "", "\u200e\u200f\u200b\ufeff")
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.I)
_HIDDEN_CLASSES = frozenset(
    {"g-hdn", "aok-hidden", "hidden", "sr-only", "visually-hidden", "u-dspn", "a-offscreen"}
)


def clean(text: str | None) -> str:
    """Collapse whitespace (no-break spaces included) and drop invisible direction marks."""
    if not text:
        return ""
    return _SPACES.sub(" ", text.translate(_INVISIBLE)).strip()


def unescape(text: str | None) -> str:
    """HTML-unescape, then `clean`."""
    return clean(_html.unescape(text or ""))


def decode(page: str | bytes) -> str:
    """Decode a page body with its declared charset (UTF-8 when none is declared, or when it
    names no usable text codec). Never raises."""
    if isinstance(page, str):
        return page
    found = _CHARSET.search(page[:4096])
    return decode_text(page, found.group(1).decode("ascii") if found else None)


def is_hidden(node: LexborNode) -> bool:
    attrs = node.attributes
    classes = set((attrs.get("class") or "").split())
    if classes & _HIDDEN_CLASSES or any(c.lower().startswith("screenreader") for c in classes):
        return True
    style = (attrs.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "hidden" in attrs


def visible_text(node: LexborNode) -> str:
    """The node's text without hidden descendants (eBay's "Details about" span...)."""
    parts: list[str] = []
    _collect(node, parts)
    return clean(" ".join(parts))


def _collect(node: LexborNode, parts: list[str]) -> None:
    child = node.child
    while child is not None:
        if child.is_text_node:
            parts.append(child.text_content or "")
        elif (
            child.is_element_node and child.tag not in {"script", "style"} and not is_hidden(child)
        ):
            _collect(child, parts)
        child = child.next


__all__ = ["clean", "decode", "is_hidden", "unescape", "visible_text"]
