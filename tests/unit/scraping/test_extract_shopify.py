# ruff: noqa: E501 -- saved-page snippets read best as the shop wrote them, one tag a line
from decimal import Decimal

import pytest

from afp_adapters.scraping.extract import extract_product, facts_from_shopify_product
from afp_core.domain.errors import ScrapeBlocked

URL = "https://store.example/products/kettle"


def test_the_js_endpoint_prices_are_in_minor_units() -> None:
    payload = {
        "title": "Kettle",
        "vendor": "Acme",
        "description": "<p>Boils <b>fast</b></p>",
        "type": "Kitchen",
        "price": 10900,
        "variants": [{"price": 10900, "sku": "K-1", "available": True}],
        "images": [
            "//cdn.shopify.com/s/files/1/products/k_grande.jpg?v=1",
            "//cdn.shopify.com/s/files/1/products/k2.jpg",
        ],
    }
    facts = facts_from_shopify_product(URL, payload, minor_units=True, currency="EUR")
    assert (facts.title, facts.brand, facts.sku) == ("Kettle", "Acme", "K-1")
    assert (facts.price, facts.currency) == (Decimal("109.00"), "EUR")
    assert facts.description == "Boils fast"
    assert facts.images[0].startswith("https://cdn.shopify.com/")
    assert facts.categories == ("Kitchen",)
    assert facts.source["price"] == "shopify-endpoint"


def test_the_json_endpoint_wraps_the_product_and_uses_decimal_strings() -> None:
    payload = {
        "product": {
            "title": "Kettle",
            "vendor": "Acme",
            "body_html": "<p>Hi</p>",
            "variants": [{"price": "109.00", "sku": "K-1"}],
            "images": [{"src": "https://cdn.shopify.com/k.jpg", "width": 2048, "height": 2048}],
        }
    }
    facts = facts_from_shopify_product(URL, payload, minor_units=False)
    assert facts.price == Decimal("109.00") and facts.currency is None
    assert facts.images == ("https://cdn.shopify.com/k.jpg",)


def test_an_empty_payload_is_a_block_not_an_empty_product() -> None:
    with pytest.raises(ScrapeBlocked):
        facts_from_shopify_product(URL, {"product": {}}, minor_units=False)


def test_the_page_meta_script_gives_vendor_sku_and_a_minor_unit_price() -> None:
    page = """<html><head><meta property="og:type" content="product"><script>
      window.ShopifyAnalytics = window.ShopifyAnalytics || {};
      window.ShopifyAnalytics.meta.currency = 'EUR';
      var meta = {"product":{"vendor":"Panasonic","variants":[{"price":10900,"name":"Microwave","sku":"1236291"}]}};
      </script></head><body><h1>Microwave</h1></body></html>"""
    facts = extract_product(URL, page)
    assert (facts.brand, facts.sku, facts.price, facts.currency) == (
        "Panasonic",
        "1236291",
        Decimal("109.00"),
        "EUR",
    )
