"""Site heuristics for what structured data leaves out (doc §5.1 step 4, §5.5).

Each rule is keyed by a page feature (a class name, an embedded JSON key), never by a shop."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from selectolax.lexbor import LexborHTMLParser, LexborNode

from afp_adapters.scraping import decoding
from afp_adapters.scraping.extract._text import clean, visible_text
from afp_adapters.scraping.extract.prices import currency_of, parse_number

_MAIN_PRICE_CLASSES = frozenset({"main", "current", "sale", "now", "final", "our", "primary"})
_ITEM_NUMBER = re.compile(
    r"^(?:item|sku|article number|art\.?[- ]?nr\.?|product code|model)\s*(?:#|no\.?|number)?\s*:?"
    r"\s*([A-Z0-9][A-Z0-9._-]{2,})$",
    re.I,
)
_EMBEDDED_BRAND = re.compile(r"\"brand(?:Name)?\"\s*:\s*\"([^\"\\]{1,60})\"")
_EBAY_ITEM = re.compile(r"/itm/(?:[^/?#]+/)?(\d{9,15})(?=[/?#]|$)")


def heading(tree: LexborHTMLParser) -> str:
    node = tree.css_first("h1")
    return visible_text(node) if node is not None else ""


def visible_price(tree: LexborHTMLParser) -> tuple[Decimal, str | None] | None:
    """The main price node (`class="price main"`, `price current`...), never a bare `.price`,
    which on many pages belongs to accessories or recommendations."""
    for node in tree.css('[class*="price"]'):
        classes = set((node.attributes.get("class") or "").lower().split())
        if "price" not in classes or not classes & _MAIN_PRICE_CLASSES:
            continue
        text = clean(node.text())
        amount = parse_number(text)
        if amount is not None and amount > 0 and currency_of(text):
            return amount, currency_of(text)
    return None


def item_number(tree: LexborHTMLParser) -> str | None:
    """ "Item #: T9F432251" in an element named for it."""
    selector = '[class*="item-num"], [class*="item-number"], [id*="item-num"], [class*="sku"]'
    for node in tree.css(selector):
        found = _ITEM_NUMBER.match(clean(node.text()))
        if found:
            return found.group(1)
    return None


def embedded_brand(body: str) -> str | None:
    """`"brand":"X"` / `"brandName":"X"` in the page's embedded state JSON."""
    found = _EMBEDDED_BRAND.search(body)
    return clean(found.group(1)) or None if found else None


def listing_id(url: str) -> str | None:
    """The listing number of an auction-site URL (`/itm/<slug>/<digits>`)."""
    found = _EBAY_ITEM.search(url)
    return found.group(1) if found else None


def gallery_images(tree: LexborHTMLParser, body: str, title: str, sku: str | None) -> list[str]:
    """Gallery pictures the structured data leaves out, main picture first."""
    urls = list(_image_array(body))
    urls.extend(_titled_pictures(tree, title))
    if sku and len(sku) >= 5:
        urls.extend(_sku_named(tree, sku))
    return urls


def _image_array(body: str) -> Iterator[str]:
    """An embedded viewer array (`"imgArr": [{"maxImageUrl": ...}]`): the largest renditions."""
    start = body.find('"imgArr"')
    if start < 0:
        return
    bracket = body.find("[", start, start + 20)
    try:
        items, _ = decoding.raw_decode(body, bracket)
    except ValueError:
        return
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            url = item.get("maxImageUrl") or item.get("displayImgUrl")
            if isinstance(url, str):
                yield url


def _titled_pictures(tree: LexborHTMLParser, title: str) -> Iterator[str]:
    """`<img alt="<product title> …">` and the renditions of its `<picture>`."""
    if len(title) < 8:
        return
    for img in tree.css("img[alt]"):
        if not clean(img.attributes.get("alt")).startswith(title):
            continue
        picture = img.parent
        if picture is not None and picture.tag == "picture":
            yield from _srcset_urls(picture)
        src = img.attributes.get("src") or img.attributes.get("data-src")
        if src:
            yield src


def _srcset_urls(node: LexborNode) -> Iterator[str]:
    for source in node.css("source[srcset]"):
        for candidate in (source.attributes.get("srcset") or "").split(","):
            url = candidate.strip().split(" ")[0]
            if url:
                yield url


def _sku_named(tree: LexborHTMLParser, sku: str) -> Iterator[str]:
    """Pictures whose file name carries the product's own id (`4667999_R_Z003A`)."""
    pattern = re.compile(rf"/[^/?]*{re.escape(sku)}[^/?]*(?:\?|$)")
    for node in tree.css("img, source[srcset]"):
        attrs = node.attributes
        for entry in (attrs.get("src") or "", *(attrs.get("srcset") or "").split(",")):
            url = entry.strip().split(" ")[0]
            if url and pattern.search(url):
                yield url


__all__ = [
    "embedded_brand",
    "gallery_images",
    "heading",
    "item_number",
    "listing_id",
    "visible_price",
]
