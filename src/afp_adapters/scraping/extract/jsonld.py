"""schema.org Product in JSON-LD: lists, @graph, nested items, any case, no @context needed."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from afp_adapters.scraping import decoding
from afp_adapters.scraping.extract._candidate import Candidate
from afp_adapters.scraping.extract._text import clean, unescape
from afp_adapters.scraping.extract.prices import CURRENCIES, parse_count, parse_number, parse_rating

_PRODUCT_TYPES = frozenset({"product", "productgroup", "individualproduct", "productmodel"})
_DONE = object()
_MAX_OFFER_NESTING = 5


def jsonld_documents(tree: LexborHTMLParser) -> list[Any]:
    """Every JSON-LD block that decodes (lenient about raw control characters)."""
    docs: list[Any] = []
    for script in tree.css('script[type="application/ld+json"]'):
        text = (script.text() or "").strip()
        if text.startswith("<!--"):
            text = text.removeprefix("<!--").removesuffix("-->").strip()
        try:
            docs.append(decoding.loads(text, strict=False))
        except ValueError:  # bad JSON, nested too deeply, a number too long to convert
            continue
    return docs


def types_of(node: Mapping[str, Any]) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).rsplit("/", 1)[-1].lower() for v in values if v}


def walk(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every JSON object in a document, depth first, parents before children. Iterative: no
    nesting depth can exhaust the stack."""
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack:
        child = next(stack[-1], _DONE)
        if child is _DONE:
            stack.pop()
        elif isinstance(child, Mapping):
            yield child
            stack.append(iter(child.values()))
        elif isinstance(child, list):
            stack.append(iter(child))


def products(docs: list[Any]) -> list[Mapping[str, Any]]:
    return [node for node in walk(docs) if types_of(node) & _PRODUCT_TYPES]


def candidate_from_jsonld(tree: LexborHTMLParser) -> Candidate | None:
    docs = jsonld_documents(tree)
    found = [p for p in products(docs) if _text(p.get("name"))]
    if not found:
        return None
    product = found[0]
    cand = Candidate("json-ld")
    cand.title = unescape(_text(product.get("name")))
    cand.description = unescape(_text(product.get("description")))
    cand.brand = _brand(product.get("brand"))
    cand.images = list(_images(product.get("image")))
    cand.sku = _identifier(product)
    cand.mpn = _text(product.get("mpn")) or None
    if not _offers(product.get("offers"), cand):
        for variant in product.get("hasVariant") or []:
            if isinstance(variant, Mapping) and _offers(variant.get("offers"), cand):
                break
    rating = product.get("aggregateRating")
    if isinstance(rating, Mapping):
        cand.rating = parse_rating(_text(rating.get("ratingValue")))
        count = rating.get("reviewCount") or rating.get("ratingCount")
        cand.review_count = parse_count(_text(count)) if count not in (None, "") else None
    cand.categories = _breadcrumbs(docs)
    return cand


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("@value") or ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return clean(str(value)) if value not in (None, False) else ""


def _brand(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    text = _text(value)
    return unescape(text) or None


def _images(value: Any) -> Iterator[str]:
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, str) and item.strip():
            yield item.strip()
        elif isinstance(item, Mapping):
            url = item.get("contentUrl") or item.get("url")
            if isinstance(url, str) and url.strip():
                yield url.strip()


def _identifier(product: Mapping[str, Any]) -> str | None:
    for key in ("sku", "productID", "productId"):
        text = _text(product.get(key))
        if text:
            return text
    offers = product.get("offers")
    if isinstance(offers, Mapping):
        text = _text(offers.get("sku"))
        if text:
            return text
    return None


def _offers(value: Any, cand: Candidate, depth: int = 0) -> bool:
    """The first offer with a price (True when found); `{}` or an empty price is no price,
    never zero."""
    if depth > _MAX_OFFER_NESTING:
        return False
    offers = value if isinstance(value, list) else [value]
    for offer in offers:
        if not isinstance(offer, Mapping):
            continue
        unpriced = offer.get("price") in (None, "") and offer.get("lowPrice") in (None, "")
        if unpriced and offer.get("offers") and _offers(offer.get("offers"), cand, depth + 1):
            return True
        spec = offer.get("priceSpecification")
        spec = spec[0] if isinstance(spec, list) and spec else spec
        raw = offer.get("price")
        if raw in (None, "") and isinstance(spec, Mapping):
            raw = spec.get("price")
        if raw in (None, ""):
            raw = offer.get("lowPrice")
        amount = _amount(raw)
        if amount is None or amount <= 0:
            continue
        currency = _text(offer.get("priceCurrency")) or (
            _text(spec.get("priceCurrency")) if isinstance(spec, Mapping) else ""
        )
        cand.price = amount
        cand.currency = currency.upper() if currency.upper() in CURRENCIES else None
        return True
    return False


def _amount(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    if isinstance(raw, int | float):
        return Decimal(str(raw))
    text = _text(raw)
    return parse_number(text, "." if text.count(",") == 0 else None) if text else None


def _breadcrumbs(docs: list[Any]) -> list[str]:
    for node in walk(docs):
        if "breadcrumblist" not in types_of(node):
            continue
        names: list[str] = []
        for element in node.get("itemListElement") or []:
            if not isinstance(element, Mapping):
                continue
            item = element.get("item")
            name = element.get("name") or (item.get("name") if isinstance(item, Mapping) else None)
            if name:
                names.append(unescape(str(name)))
        return names
    return []


__all__ = ["candidate_from_jsonld", "jsonld_documents", "products", "types_of", "walk"]
