"""Property: `extract_product` on any page built from product-page fragments (JSON-LD with
random JSON, Amazon image and price blocks, microdata, Shopify scripts, random text and
charsets) returns `ProductFacts` or raises `ScrapeBlocked`, never anything else."""

from __future__ import annotations

import html
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afp_adapters.scraping.extract import extract_product
from afp_core.domain.errors import ScrapeBlocked
from afp_core.domain.product import ProductFacts

KEYS = st.sampled_from(
    [
        "@type",
        "@graph",
        "name",
        "description",
        "brand",
        "image",
        "offers",
        "price",
        "lowPrice",
        "priceCurrency",
        "priceSpecification",
        "aggregateRating",
        "ratingValue",
        "reviewCount",
        "sku",
        "hasVariant",
        "itemListElement",
        "item",
        "hiRes",
        "large",
        "product",
        "variants",
        "vendor",
        "priceAmount",
        "currencySymbol",
        "desktop_buybox_group_1",
        "maxImageUrl",
        "url",
        "contentUrl",
    ]
) | st.text(max_size=6)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included: json.dumps writes them as literals
    | st.sampled_from(
        ["Product", "BreadcrumbList", "Offer", "USD", "EUR", "$9.99", "1.234,56", "4.5", "", "0"]
    )
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=15,
)
TEXT = st.text(max_size=20)
ATTR = TEXT.map(lambda t: html.escape(t, quote=True))


def _json_text(value: Any) -> str:
    return json.dumps(value)


FRAGMENTS = st.one_of(
    JSON.map(lambda v: f'<script type="application/ld+json">{_json_text(v)}</script>'),
    TEXT.map(lambda t: f'<script type="application/ld+json">{t}</script>'),
    st.just('<script type="application/ld+json">' + "[" * 3000 + "]" * 3000 + "</script>"),
    JSON.map(
        lambda v: f"<img id=\"landingImage\" data-a-dynamic-image='{html.escape(_json_text(v))}'>"
    ),
    ATTR.map(lambda t: f'<img id="landingImage" data-old-hires="{t}" src="{t}">'),
    JSON.map(
        lambda v: f"<script>'ImageBlockATF' 'colorImages': {{ 'initial': {_json_text(v)}}}</script>"
    ),
    JSON.map(
        lambda v: (
            '<div class="twister-plus-buying-options-price-data">'
            f"{html.escape(_json_text(v))}</div>"
        )
    ),
    JSON.map(lambda v: f"<script>var meta = {_json_text(v)};</script>"),
    JSON.map(lambda v: f'<script>"imgArr": {_json_text(v)}</script>'),
    st.tuples(
        st.sampled_from(["name", "price", "priceCurrency", "image", "brand", "sku"]), ATTR, TEXT
    ).map(lambda p: f'<span itemprop="{p[0]}" content="{p[1]}">{html.escape(p[2])}</span>'),
    st.tuples(
        st.sampled_from(["og:title", "og:image", "product:price:amount", "og:price:currency"]), ATTR
    ).map(lambda p: f'<meta property="{p[0]}" content="{p[1]}">'),
    TEXT.map(lambda t: f'<span id="productTitle">{html.escape(t)}</span>'),
    TEXT.map(
        lambda t: f'<span class="a-price"><span class="a-offscreen">{html.escape(t)}</span></span>'
    ),
    TEXT.map(lambda t: f'<input id="twister-plus-price-data-price" value="{html.escape(t)}">'),
    TEXT.map(
        lambda t: f'<div id="cerberus-data-metrics" data-asin-price="{html.escape(t)}"></div>'
    ),
    st.sampled_from(
        [
            '<script>var ue_mid = "ATVPDKIKX0DER";</script>',
            "<script src='https://cdn.shopify.com/s.js'></script>",
            '<form action="/errors/validateCaptcha"></form>',
            '<div id="feature-bullets"><ul><li><span class="a-list-item">Good</span></li></ul>'
            "</div>",
            '<a id="bylineInfo">Visit the Acme Store</a>',
            '<span id="acrPopover" title="4,5 von 5 Sternen"></span>',
        ]
    ),
    TEXT.map(lambda t: f"<title>{html.escape(t)}</title>"),
    TEXT.map(lambda t: f"<h1>{html.escape(t)}</h1>"),
    st.sampled_from(["utf-8", "base64", "undefined", "idna", "utf-7", "latin-1"]).map(
        lambda c: f'<meta charset="{c}">'
    ),
    TEXT,
)
URLS = st.sampled_from(
    [
        "https://www.amazon.com/dp/B000000001",
        "https://www.amazon.de/x/dp/B000000002",
        "https://shop.example/products/mug",
        "https://shop.example/p",
        "https://www.ebay.com/itm/123",
    ]
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(url=URLS, parts=st.lists(FRAGMENTS, max_size=8), as_bytes=st.booleans())
def test_extract_product_returns_facts_or_scrape_blocked(
    url: str, parts: list[str], as_bytes: bool
) -> None:
    page = "<html><head>" + "".join(parts) + "</head><body>" + "".join(reversed(parts)) + "</body>"
    try:
        facts = extract_product(url, page.encode("utf-8", "surrogatepass") if as_bytes else page)
    except ScrapeBlocked:
        return
    assert isinstance(facts, ProductFacts)
