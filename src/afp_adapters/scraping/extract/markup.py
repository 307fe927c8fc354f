"""Microdata (itemscope/itemprop), RDFa (typeof/property) and OpenGraph meta tags."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from afp_adapters.scraping.extract._candidate import Candidate
from afp_adapters.scraping.extract._text import clean, unescape, visible_text
from afp_adapters.scraping.extract.prices import (
    CURRENCIES,
    parse_count,
    parse_number,
    parse_rating,
)

# A property's values: text, or a nested item (itemprop + itemscope) as a mapping.
Item = dict[str, list[Any]]

_URL_ATTRS = {"img": "src", "source": "src", "video": "src", "audio": "src", "iframe": "src"}
_LINK_TAGS = frozenset({"a", "link", "area"})
_BRAND_BOILERPLATE = re.compile(
    r"^.*?\b(?:brand|marca|marke|marque|merk|marka)\b\s*:\s*(.+)$|^Visit the (.+?) Store$", re.I
)
_LOOKS_LIKE_URL = re.compile(r"^(?:https?:)?/|^https?://|\?\w+=", re.I)


def _is_product_type(value: str) -> bool:
    return any(t.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() == "product" for t in value.split())


# ---------------------------------------------------------------- microdata


def microdata_products(tree: LexborHTMLParser) -> list[Item]:
    """Top-level microdata Product items in document order (recommendations included)."""
    props_by_owner: dict[int, list[LexborNode]] = {}
    for node in tree.css("[itemprop]"):
        owner = _owner(node)
        if owner is not None:
            props_by_owner.setdefault(owner.mem_id, []).append(node)
    items: list[Item] = []
    for scope in tree.css("[itemscope]"):
        if not _is_product_type(scope.attributes.get("itemtype") or ""):
            continue
        if "itemprop" in scope.attributes and _owner(scope) is not None:
            continue  # a product nested in a review or an offer
        items.append(_item(scope, props_by_owner))
    return items


def _owner(node: LexborNode) -> LexborNode | None:
    parent = node.parent
    while parent is not None and parent.is_element_node:
        if "itemscope" in parent.attributes:
            return parent
        parent = parent.parent
    return None


def _item(scope: LexborNode, props_by_owner: dict[int, list[LexborNode]]) -> Item:
    item: Item = {"@type": [scope.attributes.get("itemtype") or ""]}
    for prop in props_by_owner.get(scope.mem_id, []):
        nested = "itemscope" in prop.attributes
        value: Any = _item(prop, props_by_owner) if nested else _value(prop)
        for name in (prop.attributes.get("itemprop") or "").split():
            item.setdefault(name, []).append(value)
    return item


def _value(node: LexborNode) -> str:
    attrs = node.attributes
    if attrs.get("content") is not None:
        return clean(attrs.get("content"))
    tag = node.tag or ""
    if tag in _URL_ATTRS:
        return clean(attrs.get("src") or attrs.get("data-src") or "")
    if tag in _LINK_TAGS and attrs.get("href"):
        return clean(attrs.get("href"))
    for key in ("datetime", "value", "data"):
        if attrs.get(key):
            return clean(attrs.get(key))
    return visible_text(node)


def main_item(items: list[Item]) -> Item | None:
    """The page's own product: the first one whose name is a real name, not a link."""
    for item in items:
        name = first_text(item, "name")
        if name and not _LOOKS_LIKE_URL.search(name):
            return item
    return None


def first_text(item: Mapping[str, list[Any]], key: str) -> str:
    for value in item.get(key, []):
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping):
            nested = first_text(value, "name")
            if nested:
                return nested
    return ""


def _nested(item: Mapping[str, list[Any]], key: str) -> Iterator[Mapping[str, list[Any]]]:
    for value in item.get(key, []):
        if isinstance(value, Mapping):
            yield value


def candidate_from_item(item: Mapping[str, list[Any]], source: str) -> Candidate:
    cand = Candidate(source)
    cand.title = unescape(first_text(item, "name"))
    cand.description = unescape(first_text(item, "description"))
    cand.brand = clean_brand(first_text(item, "brand") or first_text(item, "manufacturer"))
    for value in item.get("image", []):
        if isinstance(value, str) and value:
            cand.images.append(value)
        elif isinstance(value, Mapping):
            url = first_text(value, "contentUrl") or first_text(value, "url")
            if url:
                cand.images.append(url)
    cand.mpn = first_text(item, "mpn") or None
    for key in ("sku", "productID"):
        text = first_text(item, key)
        if text:
            cand.sku = text.removeprefix("sku:").strip()
            break
    for offer in [*_nested(item, "offers"), item]:
        amount = parse_number(first_text(offer, "price") or first_text(offer, "lowPrice"))
        if amount is not None and amount > 0:
            cand.price = amount
            code = first_text(offer, "priceCurrency").upper()
            cand.currency = code if code in CURRENCIES else None
            break
    for rating in [*_nested(item, "aggregateRating"), item]:
        value = first_text(rating, "ratingValue")
        if value:
            cand.rating = parse_rating(value)
            count = first_text(rating, "reviewCount") or first_text(rating, "ratingCount")
            cand.review_count = parse_count(count) if count else None
            break
    return cand


def clean_brand(text: str | None) -> str | None:
    """Drop "see more from brand" boilerplate ("Ver mais artigos da Marca: X" → "X")."""
    text = clean(text)
    found = _BRAND_BOILERPLATE.match(text)
    if found:
        text = clean(found.group(1) or found.group(2))
    return text or None


# ---------------------------------------------------------------- RDFa


def rdfa_products(tree: LexborHTMLParser) -> list[Item]:
    """Product resources (`typeof` schema:Product / og:product); properties by local name."""
    items: list[Item] = []
    for scope in tree.css("[typeof]"):
        if not _is_product_type(scope.attributes.get("typeof") or ""):
            continue
        item: Item = {}
        for prop in scope.css("[property]"):
            value = (
                _value(prop)
                if prop.attributes.get("content") is None
                else clean(prop.attributes.get("content"))
            )
            for name in (prop.attributes.get("property") or "").split():
                item.setdefault(name.rsplit(":", 1)[-1].rsplit("/", 1)[-1], []).append(value)
        if item:
            items.append(item)
    return items


# ---------------------------------------------------------------- OpenGraph


def meta_tags(tree: LexborHTMLParser) -> dict[str, list[str]]:
    """`og:*`, `product:*` and similar meta tags by lower-case name, values in order."""
    tags: dict[str, list[str]] = {}
    for node in tree.css("meta[property], meta[name], meta[itemprop]"):
        attrs = node.attributes
        key = (attrs.get("property") or attrs.get("name") or "").strip().lower()
        content = attrs.get("content")
        if key and content is not None and content.strip():
            tags.setdefault(key, []).append(clean(content))
    return tags


def candidate_from_meta(tags: Mapping[str, list[str]]) -> Candidate:
    cand = Candidate("opengraph")

    def first(*keys: str) -> str:
        return next((tags[k][0] for k in keys if tags.get(k)), "")

    cand.title = unescape(first("og:title", "twitter:title"))
    cand.description = unescape(first("og:description"))
    cand.brand = clean_brand(first("product:brand", "og:brand"))
    images = [*tags.get("og:image:secure_url", []), *tags.get("og:image", [])]
    cand.images = list(dict.fromkeys(images))
    amount_text = first("product:price:amount", "og:price:amount", "product:sale_price:amount")
    amount = parse_number(amount_text)
    if amount is not None and amount > 0:
        cand.price = amount
        code = first("product:price:currency", "og:price:currency").upper()
        cand.currency = code if code in CURRENCIES else None
    regular = parse_number(first("og:price:standard_amount", "product:original_price:amount"))
    cand.regular_price = regular
    cand.sku = first("product:retailer_item_id", "product:sku") or None
    return cand


__all__ = [
    "Item",
    "candidate_from_item",
    "candidate_from_meta",
    "clean_brand",
    "first_text",
    "main_item",
    "meta_tags",
    "microdata_products",
    "rdfa_products",
]
