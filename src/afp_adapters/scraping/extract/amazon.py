"""Amazon product pages, every marketplace (doc §3)."""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from afp_adapters.scraping import decoding
from afp_adapters.scraping.extract._text import clean, is_hidden, unescape, visible_text
from afp_adapters.scraping.extract.hosts import Marketplace, asin_from_url, marketplace_for
from afp_adapters.scraping.extract.prices import (
    currency_of,
    parse_count,
    parse_number,
    parse_price,
    parse_rating,
)
from afp_core.domain.product import ProductFacts

_UE_MID = re.compile(r"ue_mid\s*=\s*['\"]([A-Z0-9]+)['\"]")
_ASIN = re.compile(r"^[A-Z0-9]{10}$")
_TITLE_SELECTORS = (
    "#productTitle",
    "#ebooksProductTitle",
    "#btAsinTitle",
    "h1.a-size-large",
    "#item_name",
)
_CORE_PRICE = (
    "#corePriceDisplay_desktop_feature_div",
    "#corePrice_feature_div",
    "#corePrice_desktop",
    "#apex_desktop",
)
_OLD_PRICE = (
    "#priceblock_dealprice",
    "#priceblock_saleprice",
    "#priceblock_ourprice",
    "#price_inside_buybox",
    "#newBuyBoxPrice",
    "#kindle-price",
    "#buyNewSection .offer-price",
    "#usedBuySection .offer-price",
    "#usedBuySection .a-color-price",
)
# Byline boilerplate per locale; the brand is group 1. A plain byline is taken as it is.
_BYLINE = tuple(
    re.compile(p, re.I)
    for p in (
        r"^Visit the (.+?) Store$",
        r"^Brand:\s*(.+)$",
        r"^Besuchen Sie den (.+?)[- ]Store$",
        r"^Marke:\s*(.+)$",
        r"^Visiter la boutique (.+)$",
        r"^Marque\s*:\s*(.+)$",
        r"^Visita lo Store di (.+)$",
        r"^Visita la tienda de (.+)$",
        r"^Marca:\s*(.+)$",
        r"^Bezoek de (.+?)-winkel$",
        r"^Merk:\s*(.+)$",
        r"^Odwiedź sklep (.+)$",
        r"^Marka:\s*(.+)$",
        r"^Besök (.+?)-butiken$",
        r"^Varumärke:\s*(.+)$",
        r"^(.+?)のストアを表示$",
        r"^ブランド:\s*(.+)$",
        r"^Visite a loja (.+)$",
    )
)
_AUTHOR_ROLE = re.compile(
    r"\((?:Author|Autor|Auteur|Autore|Autor/a|Editor|Illustrator|Narrator|Translator|"
    r"Herausgeber|Übersetzer|Traducteur|Traduttore|著)\)",
    re.I,
)
_NO_BUY_BOX = ("#unqualifiedBuyBox", "#outOfStock")


def is_amazon_page(body: str) -> bool:
    return 'id="productTitle"' in body and _UE_MID.search(body[:50_000]) is not None


def extract_amazon(url: str, body: str, tree: LexborHTMLParser) -> ProductFacts:
    market = marketplace_for(url, _mid(body))
    price, currency = _price(tree, market)
    asin = _asin(url, tree)
    return ProductFacts(
        url=url,
        title=_title(tree),
        bullets=_bullets(tree),
        description=_description(tree),
        price=price,
        currency=currency if price is not None else None,
        brand=_brand(tree),
        images=color_images_urls(body) or _fallback_images(tree),
        rating=_rating(tree),
        review_count=_review_count(tree),
        sku=asin,
        asin=asin,
        categories=_categories(tree),
        source=dict.fromkeys(
            ("title", "bullets", "description", "price", "brand", "images", "rating", "asin"),
            "amazon",
        ),
    )


def _mid(body: str) -> str | None:
    found = _UE_MID.search(body[:50_000]) or _UE_MID.search(body)
    return found.group(1) if found else None


def _text(tree: LexborHTMLParser, selector: str) -> str:
    node = tree.css_first(selector)
    return clean(node.text()) if node is not None else ""


def _title(tree: LexborHTMLParser) -> str:
    for selector in _TITLE_SELECTORS:
        text = _text(tree, selector)
        if text:
            return text
    title = tree.css_first("title")
    raw = unescape(title.text()) if title is not None else ""
    return re.sub(r"^Amazon\.[\w.]+\s*:\s*", "", raw).split(" : ")[0].split(": Amazon.")[0]


# ---------------------------------------------------------------- price


def _price(tree: LexborHTMLParser, market: Marketplace | None) -> tuple[Decimal | None, str | None]:
    separator = market.decimal_separator if market else None
    default_currency = market.currency if market else None
    for container in _CORE_PRICE:
        node = tree.css_first(f"{container} span.a-price:not(.a-text-price) span.a-offscreen")
        if node is not None and clean(node.text()):
            return _from_text(clean(node.text()), separator, default_currency)
    hidden = tree.css_first("input#twister-plus-price-data-price")
    if hidden is not None and hidden.attributes.get("value"):
        unit = tree.css_first("input#twister-plus-price-data-price-unit")
        symbol = (unit.attributes.get("value") or "") if unit is not None else ""
        amount = parse_number(hidden.attributes.get("value") or "", ".")
        if amount is not None:
            return amount, default_currency or currency_of(symbol)
    twister = _twister_json(tree)
    if twister is not None:
        return twister[0], default_currency or twister[1]
    cerberus = tree.css_first("#cerberus-data-metrics")
    if cerberus is not None and cerberus.attributes.get("data-asin-price"):
        amount = parse_number(cerberus.attributes.get("data-asin-price") or "", ".")
        code = cerberus.attributes.get("data-asin-currency-code") or default_currency
        if amount is not None:
            return amount, code
    for selector in _OLD_PRICE:
        node = tree.css_first(selector)
        if node is not None and clean(node.text()):
            found = _from_text(clean(node.text()), separator, default_currency)
            if found[0] is not None:
                return found
    return None, None  # no buy box: never a page-wide .a-price (doc §3.5)


def _from_text(
    text: str, separator: str | None, default_currency: str | None
) -> tuple[Decimal | None, str | None]:
    amount, symbol_currency = parse_price(text, decimal_separator=separator)
    return amount, default_currency or symbol_currency


def _twister_json(tree: LexborHTMLParser) -> tuple[Decimal, str | None] | None:
    node = tree.css_first("div.twister-plus-buying-options-price-data")
    if node is None:
        return None
    try:
        data: Any = decoding.loads(node.text())
    except ValueError:
        return None
    groups = data.get("desktop_buybox_group_1") if isinstance(data, dict) else data
    first = groups[0] if isinstance(groups, list) and groups else None
    if not isinstance(first, dict) or first.get("priceAmount") in (None, ""):
        return None
    amount = parse_number(str(first["priceAmount"]), ".")
    if amount is None:
        return None
    return amount, currency_of(str(first.get("currencySymbol", "")))


# ---------------------------------------------------------------- images


def color_images(body: str) -> list[dict[str, Any]]:
    """The gallery: `colorImages.initial` of the ImageBlockATF script, JSON-decoded."""
    block = body.find("ImageBlockATF")
    start = body.find("'colorImages'", block) if block >= 0 else -1
    if start < 0:
        start = body.find('"colorImages"', block) if block >= 0 else -1
    if start < 0:
        return []
    initial = body.find("'initial'", start, start + 200)
    if initial < 0:
        initial = body.find('"initial"', start, start + 200)
    bracket = body.find("[", initial) if initial >= 0 else -1
    if bracket < 0:
        return []
    try:
        items, _ = decoding.raw_decode(body, bracket)
    except ValueError:  # bad JSON, nested too deeply, a number too long to convert
        return []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def color_images_urls(body: str) -> tuple[str, ...]:
    urls = (entry.get("hiRes") or entry.get("large") for entry in color_images(body))
    return tuple(dict.fromkeys(u for u in urls if isinstance(u, str) and "/captcha/" not in u))


def _fallback_images(tree: LexborHTMLParser) -> tuple[str, ...]:
    for selector in ("img#landingImage", "img#imgBlkFront", "img#ebooksImgBlkFront"):
        node = tree.css_first(selector)
        if node is None:
            continue
        old = node.attributes.get("data-old-hires")
        if old:
            return (old,)
        largest = _largest_dynamic_image(node.attributes.get("data-a-dynamic-image"))
        if largest:
            return (largest,)
        src = node.attributes.get("src")
        if src and not src.startswith("data:"):
            return (src,)
    return ()


def _largest_dynamic_image(attribute: str | None) -> str | None:
    """The largest image of `data-a-dynamic-image` (`{"<url>": [width, height], ...}`); None
    when the attribute is missing or not of that shape."""
    if not attribute:
        return None
    try:
        sizes: Any = decoding.loads(_html.unescape(attribute))
    except ValueError:
        return None
    if not isinstance(sizes, dict):
        return None
    areas: dict[str, int] = {}
    for url, size in sizes.items():
        if not (isinstance(url, str) and url.strip() and isinstance(size, list)):
            continue
        if len(size) == 2 and all(isinstance(n, int) and not isinstance(n, bool) for n in size):
            areas[url.strip()] = size[0] * size[1]
    return max(areas, key=lambda u: areas[u]) if areas else None


# ---------------------------------------------------------------- brand, ASIN, the rest


def strip_byline(text: str) -> str | None:
    """The brand in a byline ("Visit the X Store", "Marque : X"...); None for author bylines."""
    text = clean(text)
    if not text or _AUTHOR_ROLE.search(text):
        return None
    for pattern in _BYLINE:
        found = pattern.match(text)
        if found:
            return clean(found.group(1)) or None
    return text


def _brand(tree: LexborHTMLParser) -> str | None:
    byline = tree.css_first("#bylineInfo")
    if byline is not None:
        return strip_byline(byline.text())
    for row in tree.css("tr.po-brand td"):
        value = clean(row.text())
        if value and not value.lower().startswith(("brand", "marca", "marke", "marque")):
            return value
    return None


def _asin(url: str, tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("input#ASIN")
    value = (node.attributes.get("value") or "").strip().upper() if node is not None else ""
    if _ASIN.match(value):
        return value
    canonical = tree.css_first("link[rel=canonical]")
    if canonical is not None:
        found = asin_from_url(canonical.attributes.get("href") or "")
        if found:
            return found
    return asin_from_url(url)


def _rating(tree: LexborHTMLParser) -> Decimal | None:
    node = tree.css_first("#acrPopover")
    if node is None:
        return None
    title = node.attributes.get("title") or ""
    if not title:
        alt = node.css_first("span.a-icon-alt")
        title = alt.text() if alt is not None else ""
    return parse_rating(clean(title))


def _review_count(tree: LexborHTMLParser) -> int | None:
    node = tree.css_first("#acrCustomerReviewText")
    return parse_count(clean(node.text())) if node is not None else None


def _bullets(tree: LexborHTMLParser) -> tuple[str, ...]:
    return tuple(_bullet_texts(tree))


def _bullet_texts(tree: LexborHTMLParser) -> Iterator[str]:
    for item in tree.css("#feature-bullets ul li"):
        if item.attributes.get("id") == "replacementPartsFitmentBullet" or _hidden_item(item):
            continue
        span = item.css_first("span.a-list-item")
        text = clean((span or item).text())
        if text:
            yield text


def _hidden_item(item: LexborNode) -> bool:
    return is_hidden(item) or "aok-hidden" in (item.attributes.get("class") or "")


def _description(tree: LexborHTMLParser) -> str:
    for selector in ("#productDescription", "#bookDescription_feature_div", "#aplus"):
        node = tree.css_first(selector)
        if node is not None:
            text = visible_text(node)
            if text:
                return text
    return ""


def _categories(tree: LexborHTMLParser) -> tuple[str, ...]:
    links = tree.css("#wayfinding-breadcrumbs_feature_div li a")
    return tuple(clean(a.text()) for a in links if clean(a.text()))


__all__ = ["color_images", "extract_amazon", "is_amazon_page", "strip_byline"]
