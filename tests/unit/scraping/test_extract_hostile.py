"""Regression tests: hostile markup and JSON in a page never escape the extractor as builtin
exceptions; they are ignored, and the other sources of facts are used."""

from __future__ import annotations

from decimal import Decimal

import pytest

from afp_adapters.scraping import decoding
from afp_adapters.scraping.extract import extract_product
from afp_adapters.scraping.extract._text import decode
from afp_adapters.scraping.extract.amazon import color_images
from afp_adapters.scraping.extract.jsonld import walk
from afp_core.domain.errors import ScrapeBlocked

AMAZON_URL = "https://www.amazon.com/dp/B000000001"
AMAZON = (
    "<html><head><title>Amazon.com: Widget</title></head><body>"
    '<span id="productTitle">Widget Pro</span>'
    '<div id="corePrice_feature_div"><span class="a-price"><span class="a-offscreen">$19.99'
    "</span></span></div>{extra}"
    '<script>var ue_mid = "ATVPDKIKX0DER";</script></body></html>'
)
DEEP = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize(
    "dynamic",
    ['{"a":1}', "[1,2]", '{"a":[1]}', '"x"', '{"a":["x","y"]}', '{"a":[true,false]}', "{", DEEP],
)
def test_a_dynamic_image_attribute_of_the_wrong_shape_falls_back(dynamic: str) -> None:
    img = (
        f'<img id="landingImage" data-a-dynamic-image=\'{dynamic}\' src="https://i.example/s.jpg">'
    )
    facts = extract_product(AMAZON_URL, AMAZON.replace("{extra}", img))
    assert facts.title == "Widget Pro"
    assert facts.images == ("https://i.example/s.jpg",)


def test_the_largest_dynamic_image_is_chosen_and_bad_entries_skipped() -> None:
    dynamic = '{"https://i.example/a.jpg":[500,500],"https://i.example/b.jpg":[900,800],"c":"x"}'
    img = f"<img id=\"landingImage\" data-a-dynamic-image='{dynamic}'>"
    facts = extract_product(AMAZON_URL, AMAZON.replace("{extra}", img))
    assert facts.images == ("https://i.example/b.jpg",)


def test_a_deeply_nested_color_images_block_is_ignored() -> None:
    script = f"<script>'ImageBlockATF' 'colorImages': {{ 'initial': {DEEP}}}</script>"
    assert color_images(script) == []
    facts = extract_product(AMAZON_URL, AMAZON.replace("{extra}", script))
    assert facts.title == "Widget Pro"
    assert facts.price == Decimal("19.99")


def _page(jsonld: str) -> str:
    return (
        '<html><head><title>Mug</title><script type="application/ld+json">'
        f"{jsonld}</script></head><body><h1>Mug</h1></body></html>"
    )


@pytest.mark.parametrize(
    "jsonld",
    [
        DEEP,
        '{"@type":"Product","name":"Mug","offers":{"price":' + "1" * 5000 + "}}",
    ],
)
def test_json_ld_that_is_too_deep_or_too_long_is_ignored(jsonld: str) -> None:
    assert extract_product("https://shop.example/p", _page(jsonld)).title == "Mug"


@pytest.mark.parametrize("price", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_json_ld_price_that_is_not_a_finite_number_is_no_price(price: str) -> None:
    jsonld = '{"@type":"Product","name":"Mug","offers":{"price":%s,"priceCurrency":"USD"}}'
    facts = extract_product("https://shop.example/p", _page(jsonld % price))
    assert facts.title == "Mug"
    assert facts.price is None


def test_nested_offers_are_followed_a_few_levels_only() -> None:
    nested = '{"offers":' * 90 + '{"price":"5.00"}' + "}" * 90
    jsonld = '{"@type":"Product","name":"Mug","offers":' + nested + "}"
    assert extract_product("https://shop.example/p", _page(jsonld)).price is None


def test_walk_is_iterative() -> None:
    deep: list[object] = [{"@type": "Product"}]
    for _ in range(100_000):
        deep = [deep]
    assert [dict(node) for node in walk(deep)] == [{"@type": "Product"}]


@pytest.mark.parametrize("charset", ["base64", "hex", "rot13", "undefined", "idna", "utf-7"])
def test_a_meta_charset_that_is_not_a_web_text_encoding_decodes_as_utf8(charset: str) -> None:
    page = f'<meta charset="{charset}"><h1>caf\u00e9</h1>'
    assert decode(page.encode()) == page


def test_decoding_json_refuses_depth_and_maps_every_failure_to_value_error() -> None:
    assert decoding.loads("[" * 100 + "]" * 100) is not None
    for text in ("[" * 101 + "]" * 101, DEEP, "1" * 5000, "{"):
        with pytest.raises(ValueError):  # noqa: PT011 - the point is the type
            decoding.loads(text)
    with pytest.raises(ValueError):  # noqa: PT011
        decoding.raw_decode("[1]", -1)


def test_an_amazon_page_without_a_title_is_a_blocked_scrape_not_a_validation_error() -> None:
    page = AMAZON.replace(
        '<span id="productTitle">Widget Pro</span>', '<span id="productTitle"> </span>'
    )
    page = page.replace("<title>Amazon.com: Widget</title>", "")
    with pytest.raises(ScrapeBlocked, match="does not show a product"):
        extract_product(AMAZON_URL, page)
