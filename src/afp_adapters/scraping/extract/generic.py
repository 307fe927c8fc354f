"""Any shop: structured data first, cross-checked, then heuristics (doc §5)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from selectolax.lexbor import LexborHTMLParser

from afp_adapters.scraping.extract import heuristics
from afp_adapters.scraping.extract._candidate import Candidate
from afp_adapters.scraping.extract._text import unescape
from afp_adapters.scraping.extract.images import best_images
from afp_adapters.scraping.extract.jsonld import candidate_from_jsonld
from afp_adapters.scraping.extract.markup import (
    candidate_from_item,
    candidate_from_meta,
    main_item,
    meta_tags,
    microdata_products,
    rdfa_products,
)
from afp_adapters.scraping.extract.shopify import candidate_from_meta_script, is_shopify
from afp_core.domain.product import ProductFacts

T = TypeVar("T")


def extract_generic(url: str, body: str, tree: LexborHTMLParser) -> ProductFacts | None:
    """The product facts of a non-Amazon page, or None when it names no product."""
    tags = meta_tags(tree)
    og = candidate_from_meta(tags)
    structured = [c for c in _structured(tree, body) if c is not None]
    title, title_source = _title(tree, structured, og, tags)
    if not title:
        return None
    source: dict[str, str] = {"title": title_source}
    everyone = [*structured, og]

    price, currency = _price(everyone, tree, source)
    brand = _first(everyone, lambda c: c.brand, "brand", source)
    if brand is None:
        brand = heuristics.embedded_brand(body)
        if brand:
            source["brand"] = "embedded-json"
    sku = _first(everyone, lambda c: c.sku, "sku", source)
    if sku is None:
        sku = heuristics.item_number(tree) or heuristics.listing_id(url)
        if sku:
            source["sku"] = "heuristic"
    if sku is None:
        sku = _first(everyone, lambda c: c.mpn, "sku", source)
    rated = next((c for c in structured if c.rating is not None), None)
    if rated is not None:
        source["rating"] = rated.source
    description = _first(everyone, lambda c: c.description or None, "description", source)
    images = _images(url, body, tree, structured, og, title, sku, source)
    categories = next((c.categories for c in structured if c.categories), [])
    return ProductFacts(
        url=url,
        title=title,
        description=description or "",
        price=price,
        currency=currency if price is not None else None,
        brand=brand,
        images=images,
        rating=rated.rating if rated else None,
        review_count=rated.review_count if rated else None,
        sku=sku,
        categories=tuple(categories),
        source=source,
    )


def _structured(tree: LexborHTMLParser, body: str) -> list[Candidate | None]:
    microdata = main_item(microdata_products(tree))
    rdfa = main_item(rdfa_products(tree))
    return [
        candidate_from_jsonld(tree),
        candidate_from_item(microdata, "microdata") if microdata else None,
        candidate_from_item(rdfa, "rdfa") if rdfa else None,
        candidate_from_meta_script(body) if is_shopify(body) else None,
    ]


def _first(
    candidates: list[Candidate],
    field: Callable[[Candidate], T | None],
    name: str,
    source: dict[str, str],
) -> T | None:
    for cand in candidates:
        value = field(cand)
        if value:
            source[name] = cand.source
            return value
    return None


def _title(
    tree: LexborHTMLParser,
    structured: list[Candidate],
    og: Candidate,
    tags: dict[str, list[str]],
) -> tuple[str, str]:
    for cand in structured:
        if cand.title:
            return cand.title, cand.source
    heading = heuristics.heading(tree)
    if heading:
        return heading, "heading"
    site = {s.lower() for s in tags.get("og:site_name", [])}
    page_title = tree.css_first("title")
    generic = unescape(page_title.text()) if page_title is not None else ""
    if og.title and og.title.lower() not in site and og.title != generic:
        return og.title, og.source
    return "", ""


def _price(
    candidates: list[Candidate], tree: LexborHTMLParser, source: dict[str, str]
) -> tuple[Decimal | None, str | None]:
    """The first source's price, unless the page says it is the regular price and the meta
    tags carry the sale price (Rejuvenation: JSON-LD 150.00 regular, og 120.00 sale)."""
    priced = [c for c in candidates if c.price is not None]
    og = next((c for c in priced if c.source == "opengraph"), None)
    if priced:
        chosen = priced[0]
        if (
            og is not None
            and og is not chosen
            and og.regular_price is not None
            and chosen.price == og.regular_price
            and og.price != chosen.price
            and (og.currency or chosen.currency) == (chosen.currency or og.currency)
        ):
            chosen = og
        currency = chosen.currency or next((c.currency for c in candidates if c.currency), None)
        source["price"] = chosen.source
        return chosen.price, currency
    visible = heuristics.visible_price(tree)
    if visible is not None:
        source["price"] = "heuristic"
        return visible
    return None, None


def _images(
    url: str,
    body: str,
    tree: LexborHTMLParser,
    structured: list[Candidate],
    og: Candidate,
    title: str,
    sku: str | None,
    source: dict[str, str],
) -> tuple[str, ...]:
    urls: list[str] = []
    for cand in structured:
        if cand.images and "images" not in source:
            source["images"] = cand.source
        urls.extend(cand.images)
    gallery = heuristics.gallery_images(tree, body, title, sku)
    if gallery and "images" not in source:
        source["images"] = "heuristic"
    urls.extend(gallery)
    if og.images and "images" not in source:
        source["images"] = og.source
    urls.extend(og.images)
    return best_images(urls, url)


__all__ = ["extract_generic"]
