"""Decoding what a shop sends without trusting it: text charsets and JSON.

A page names its own charset and serves its own JSON, so both are hostile input. Only text
codecs are used to decode (never `base64`, `rot13`, `idna`...), and a decode that fails falls
back to UTF-8. JSON is decoded with a depth limit and without NaN or infinities, and every way
it can fail (`ValueError`, including integers too long to convert, and `RecursionError`) comes
out as one `ValueError`.
"""

from __future__ import annotations

import codecs
import json
import math
from typing import Any

MAX_JSON_DEPTH = 100

# text codecs that are not web encodings and misbehave on arbitrary bytes (no `replace`
# handler, escape processing) or are a known XSS vector (UTF-7)
_NOT_FOR_PAGES = frozenset(
    {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "utf-7"}
)


def text_codec(label: str | None) -> str | None:
    """The codec a charset label names, when it is a text encoding fit for a web page."""
    if not label or not label.strip():
        return None
    try:
        info = codecs.lookup(label.strip())
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FOR_PAGES:
        return None
    return info.name


def decode_text(body: bytes, encoding: str | None) -> str:
    """`body` decoded with `encoding` when it is a usable text codec, else as UTF-8; bytes that
    do not decode become U+FFFD. Never raises."""
    codec = text_codec(encoding)
    if codec is not None:
        try:
            return body.decode(codec, errors="replace")
        except (LookupError, UnicodeError, ValueError):
            pass
    return body.decode("utf-8", errors="replace")


def loads(text: str, *, strict: bool = True) -> Any:
    """`json.loads`, refusing documents nested deeper than `MAX_JSON_DEPTH`; NaN and infinite
    numbers become None. Every failure is a `ValueError`."""
    try:
        value = _decoder(strict=strict).decode(text)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    _check_depth(value)
    return value


def raw_decode(text: str, index: int) -> tuple[Any, int]:
    """`json.JSONDecoder.raw_decode` from `index`, with the limits of `loads`."""
    if index < 0:
        raise ValueError("no JSON here")
    try:
        value, end = _decoder(strict=True).raw_decode(text, index)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    _check_depth(value)
    return value, end


def _decoder(*, strict: bool) -> json.JSONDecoder:
    return json.JSONDecoder(strict=strict, parse_constant=_no_constant, parse_float=_finite)


def _no_constant(_: str) -> None:
    return None


def _finite(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


def _check_depth(value: Any) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


__all__ = ["MAX_JSON_DEPTH", "decode_text", "loads", "raw_decode", "text_codec"]
