"""Shopify: the `/products/<handle>.js` and `.json` endpoints, and the page's `var meta`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from afp_adapters.scraping import decoding
from afp_adapters.scraping.extract._candidate import Candidate
from afp_adapters.scraping.extract._text import clean, unescape
from afp_adapters.scraping.extract.images import best_images
from afp_adapters.scraping.extract.prices import parse_number
from afp_core.domain.errors import ScrapeBlocked
from afp_core.domain.product import ProductFacts

_TAGS = re.compile(r"<[^>]+>")
_META_CURRENCY = re.compile(r"ShopifyAnalytics\.meta\.currency\s*=\s*['\"]([A-Z]{3})['\"]")
_SHOPIFY_MARKERS = ("cdn.shopify.com", "Shopify.shop", "ShopifyAnalytics")


def is_shopify(body: str) -> bool:
    return any(marker in body for marker in _SHOPIFY_MARKERS)


def facts_from_shopify_product(
    url: str,
    payload: Mapping[str, Any],
    *,
    minor_units: bool,
    currency: str | None = None,
) -> ProductFacts:
    """Facts from `/products/<handle>.js` (`minor_units=True`: integer prices in cents of the
    presentment currency) or `/products/<handle>.json` (`{"product": {...}}`, decimal strings).
    Neither payload names the currency: pass it (from `/cart.js` or `/meta.json`) when known."""
    product = payload.get("product", payload)
    if not isinstance(product, Mapping) or not clean(str(product.get("title") or "")):
        raise ScrapeBlocked(
            "the Shopify product endpoint returned no product",
            next_steps="check the product URL, or send the product's title, bullets and image "
            "URLs by hand (the `product` object of POST /generate/video)",
        )
    variants = [v for v in product.get("variants") or [] if isinstance(v, Mapping)]
    variant = next(
        (v for v in variants if v.get("available", True)), variants[0] if variants else {}
    )
    raw_price = variant.get("price", product.get("price"))
    price = _price(raw_price, minor_units=minor_units)
    description = product.get("description") or product.get("body_html") or ""
    images = [_image_url(i) for i in product.get("images") or []]
    featured = product.get("featured_image")
    if isinstance(featured, str):
        images.insert(0, featured)
    vendor = clean(str(product.get("vendor") or "")) or None
    sku = clean(str(variant.get("sku") or "")) or None
    tags = product.get("tags")
    kind = clean(str(product.get("type") or product.get("product_type") or ""))
    return ProductFacts(
        url=url,
        title=unescape(str(product["title"])),
        description=unescape(_TAGS.sub(" ", str(description))),
        price=price,
        currency=currency if price is not None else None,
        brand=vendor,
        images=best_images((u for u in images if u), url),
        sku=sku,
        categories=(kind,) if kind else (),
        source=dict.fromkeys(
            ("title", "description", "price", "brand", "images", "sku"),
            "shopify-endpoint",
        )
        | ({"tags": "shopify-endpoint"} if tags else {}),
    )


def _price(raw: Any, *, minor_units: bool) -> Decimal | None:
    if raw in (None, "") or isinstance(raw, bool):
        return None
    if minor_units:
        try:
            return (Decimal(str(raw)) / 100).quantize(Decimal("0.01"))
        except ArithmeticError:
            return None
    return parse_number(str(raw), ".")


def _image_url(image: Any) -> str:
    if isinstance(image, Mapping):
        return str(image.get("src") or "")
    return str(image or "")


def candidate_from_meta_script(body: str) -> Candidate | None:
    """ShopifyAnalytics' inline `var meta = {"product": {...}}` (prices in minor units)."""
    start = body.find("var meta = {")
    if start < 0:
        return None
    try:
        meta, _ = decoding.raw_decode(body, body.find("{", start))
    except ValueError:
        return None
    product = meta.get("product") if isinstance(meta, dict) else None
    if not isinstance(product, dict):
        return None
    cand = Candidate("shopify-meta")
    cand.brand = clean(str(product.get("vendor") or "")) or None
    variants = [v for v in product.get("variants") or [] if isinstance(v, dict)]
    if variants:
        first = variants[0]
        cand.title = unescape(str(first.get("name") or ""))
        cand.price = _price(first.get("price"), minor_units=True)
        cand.sku = clean(str(first.get("sku") or "")) or None
        currency = _META_CURRENCY.search(body)
        cand.currency = currency.group(1) if currency else None
    return cand


__all__ = ["candidate_from_meta_script", "facts_from_shopify_product", "is_shopify"]
