"""Image URLs: absolute, best rendition of each picture, first gallery image first."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Size tokens that name a rendition of the same picture (the dedupe key drops them).
_SHOPIFY_SIZE = re.compile(
    r"_(pico|icon|thumb|small|compact|medium|large|grande|original|master|\d+x\d*|x\d+)"
    r"(?=(?:@\dx)?\.\w+$)"
)
_PATH_SIZE = re.compile(r"/(\d{2,4})x(\d{2,4})/")
_EBAY_SIZE = re.compile(r"/s-l(\d+)\.")
_SHOPIFY_NAMED = {
    "pico": 16,
    "icon": 32,
    "thumb": 50,
    "small": 100,
    "compact": 160,
    "medium": 240,
    "large": 480,
    "grande": 600,
    "original": 4096,
    "master": 4096,
}
# Query parameters that ask for a smaller rendition (Zalando's `imwidth`): dropped.
_DOWNSIZE_PARAMS = frozenset({"imwidth"})
_SIZE_PARAMS = frozenset({"w", "h", "width", "height", "wid", "hei", "qlt", "fmt", "quality"})
_VIDEO_HOSTS = ("ytimg.com", "youtube.com", "vimeocdn.com")


def absolute(url: str, base: str) -> str | None:
    url = (url or "").strip()
    if not url or url.startswith("data:"):
        return None
    full = urljoin(base, url)
    parts = urlsplit(full)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in query if k.lower() not in _DOWNSIZE_PARAMS]
    if len(kept) != len(query):
        full = urlunsplit(parts._replace(query=urlencode(kept)))
    return full.rstrip("?")


def _key(url: str) -> str:
    parts = urlsplit(url)
    path = _SHOPIFY_SIZE.sub("", parts.path)
    path = _PATH_SIZE.sub("/", path)
    path = _EBAY_SIZE.sub("/s-l.", path)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k.lower() not in _SIZE_PARAMS]
    return f"{parts.netloc.removeprefix('www.')}{path}?{urlencode(query)}"


def _size(url: str) -> int:
    parts = urlsplit(url)
    score = 0
    shopify = _SHOPIFY_SIZE.search(parts.path)
    if shopify:
        token = shopify.group(1)
        numbers = [int(n) for n in re.findall(r"\d+", token)]
        score = max(numbers) if numbers else _SHOPIFY_NAMED.get(token, 0)
    else:
        score = 4096  # no size token: the original upload
    for found in (_PATH_SIZE.search(parts.path), _EBAY_SIZE.search(parts.path)):
        if found:
            score = max(int(n) for n in found.groups())
    params = dict(parse_qsl(parts.query))
    for key in ("w", "width", "wid"):
        if params.get(key, "").isdigit():
            score = int(params[key])
    if params.get("fmt", "").lower() == "webp" or parts.path.endswith(".webp"):
        score -= 1  # prefer JPEG/PNG at the same size
    return score


def best_images(urls: Iterable[str], base: str) -> tuple[str, ...]:
    """Absolute, deduplicated by picture (size variants merged, the largest kept), in the
    order each picture first appears; video thumbnails and tracking pixels dropped."""
    order: list[str] = []
    best: dict[str, str] = {}
    for raw in urls:
        url = absolute(raw, base)
        if url is None or any(host in url for host in _VIDEO_HOSTS) or "/captcha/" in url:
            continue
        key = _key(url)
        if key not in best:
            order.append(key)
            best[key] = url
        elif _size(url) > _size(best[key]) or (
            best[key].startswith("http://") and url.startswith("https://")
        ):
            best[key] = url
    return tuple(best[k] for k in order)


__all__ = ["absolute", "best_images"]
