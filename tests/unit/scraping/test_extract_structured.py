import json
from decimal import Decimal

from afp_adapters.scraping.extract import extract_product

URL = "https://shop.example/p/kettle-42"


def _ld(payload: object, extra: str = "") -> str:
    return (
        f'<html><head><script type="application/ld+json">{json.dumps(payload)}</script>'
        f"{extra}</head><body></body></html>"
    )


def test_a_json_ld_product_gives_every_field() -> None:
    facts = extract_product(
        URL,
        _ld(
            {
                "@context": "https://schema.org",
                "@type": "Product",
                "name": "Kettle &amp; Stand",
                "brand": {"@type": "Brand", "name": "Acme"},
                "image": [{"@type": "ImageObject", "url": "/img/k1.jpg"}, "//cdn.example/k2.jpg"],
                "sku": "K-42",
                "offers": {"@type": "Offer", "price": 19.5, "priceCurrency": "EUR"},
                "aggregateRating": {"ratingValue": "4.830400000000000027", "reviewCount": "12"},
            }
        ),
    )
    assert facts.title == "Kettle & Stand"
    assert facts.brand == "Acme" and facts.sku == "K-42"
    assert (facts.price, facts.currency) == (Decimal("19.5"), "EUR")
    assert facts.rating == Decimal("4.83") and facts.review_count == 12
    assert facts.images == ("https://shop.example/img/k1.jpg", "https://cdn.example/k2.jpg")
    assert facts.source["title"] == "json-ld"


def test_json_ld_inside_a_graph_a_list_or_with_a_lower_case_type_is_found() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [{"@type": "WebPage"}, {"@type": "Product", "name": "A"}],
    }
    assert extract_product(URL, _ld(graph)).title == "A"
    assert (
        extract_product(
            URL, _ld([{"@type": "Organization"}, {"@type": ["Book", "Product"], "name": "B"}])
        ).title
        == "B"
    )
    assert extract_product(URL, _ld({"@type": "product", "name": "C"})).title == "C"


def test_empty_offers_are_no_price_not_zero() -> None:
    facts = extract_product(URL, _ld({"@type": "Product", "name": "Sofa", "offers": {}}))
    assert facts.price is None and facts.currency is None


def test_aggregate_offers_and_per_size_offers_give_one_price() -> None:
    agg = {
        "@type": "Product",
        "name": "A",
        "offers": {"@type": "AggregateOffer", "lowPrice": "109.0", "priceCurrency": "EUR"},
    }
    assert extract_product(URL, _ld(agg)).price == Decimal("109.0")
    sizes = {
        "@type": "Product",
        "name": "B",
        "offers": [{"price": "344", "priceCurrency": "EUR", "sku": "B-1"}] * 3,
    }
    assert extract_product(URL, _ld(sizes)).price == Decimal("344")


def test_the_og_sale_price_wins_over_a_structured_regular_price() -> None:
    meta = (
        '<meta property="og:price:standard_amount" content="150.00">'
        '<meta property="product:price:amount" content="120.00">'
        '<meta property="product:price:currency" content="USD">'
    )
    payload = {
        "@type": "Product",
        "name": "Sconce",
        "offers": {"price": "150.00", "priceCurrency": "USD"},
    }
    facts = extract_product(URL, _ld(payload, meta))
    assert facts.price == Decimal("120.00") and facts.source["price"] == "opengraph"


_MICRODATA = """<html><body>
<div itemscope itemtype="https://schema.org/Product">
  <h1 itemprop="name"><span class="g-hdn">Details about </span>Doorbell</h1>
  <span itemprop="sku">123</span>
  <h5 itemprop="brand">Ver mais artigos da Marca: Panasonic</h5>
  <img itemprop="image" src="/products/500x500/123.jpg">
  <img itemprop="image" src="/products/100x100/123.jpg">
  <img itemprop="image" src="https://i1.ytimg.com/vi/x/default.jpg">
  <div itemprop="aggregateRating" itemscope itemtype="https://schema.org/AggregateRating">
    <meta itemprop="ratingValue" content="4.65">
      <span itemprop="ratingCount">(3592 Reviews)</span></div>
  <span itemprop="offers" itemscope itemtype="https://schema.org/Offer">
    <meta itemprop="priceCurrency" content="CAD"><meta itemprop="price" content="229.99"></span>
  <div itemprop="review" itemscope itemtype="https://schema.org/Review">
    <div itemprop="itemReviewed" itemscope itemtype="https://schema.org/Product">
      <span itemprop="name">Other</span></div>
  </div>
</div>
<div itemscope itemtype="http://schema.org/Product"><a itemprop="name" href="/p/9">/p/9?rec=1</a>
  <span itemprop="offers" itemscope itemtype="http://schema.org/Offer">
    <meta itemprop="price" content="9.99"></span></div>
</body></html>"""


def test_microdata_nesting_is_followed_and_the_main_product_picked() -> None:
    facts = extract_product("https://shop.example/p/123", _MICRODATA)
    assert facts.title == "Doorbell"
    assert (facts.price, facts.currency) == (Decimal("229.99"), "CAD")
    assert facts.brand == "Panasonic"
    assert facts.rating == Decimal("4.65") and facts.review_count == 3592
    assert facts.sku == "123"
    assert facts.images == ("https://shop.example/products/500x500/123.jpg",)
    assert facts.source["price"] == "microdata"


def test_rdfa_product_markup_is_read() -> None:
    page = """<html><body><div vocab="https://schema.org/" typeof="Product">
      <span property="name">Lamp</span><span property="brand">Lux</span>
      <div property="offers" typeof="Offer"><span property="price" content="12.00">12 €</span>
      <meta property="priceCurrency" content="EUR"></div></div></body></html>"""
    facts = extract_product(URL, page)
    assert (facts.title, facts.brand, facts.price, facts.currency) == (
        "Lamp",
        "Lux",
        Decimal("12.00"),
        "EUR",
    )
    assert facts.source["title"] == "rdfa"


def test_opengraph_alone_is_enough_and_a_decimal_comma_is_read() -> None:
    page = """<html><head><meta property="og:type" content="product">
      <meta property="og:title" content="Mug"><meta property="og:site_name" content="Shop">
      <meta property="og:image" content="https://cdn.example/mug.jpg">
      <meta property="product:price:amount" content="48,00">
        <meta property="product:price:currency" content="EUR">
      <meta property="product:brand" content="Potter"></head><body></body></html>"""
    facts = extract_product(URL, page)
    assert (facts.title, facts.price, facts.currency, facts.brand) == (
        "Mug",
        Decimal("48.00"),
        "EUR",
        "Potter",
    )
    assert facts.images == ("https://cdn.example/mug.jpg",)
    assert facts.source["price"] == "opengraph"


def test_a_generic_og_title_is_not_taken_for_the_product_name() -> None:
    page = """<html><head><title>Shop: everything</title><meta property="og:type" content="product">
      <meta property="og:title" content="Shop: everything"></head><body></body></html>"""
    import pytest

    from afp_core.domain.errors import ScrapeBlocked

    with pytest.raises(ScrapeBlocked):
        extract_product(URL, page)


def test_without_structured_data_the_visible_heading_and_main_price_are_used() -> None:
    page = """<html><head><meta property="og:type" content="product"></head><body>
      <h1>Bench Top</h1><p class="item-num">Item #: T9F432251</p>
      <p class="price">$21.50</p><p class="price main">Price: $165.95</p></body></html>"""
    facts = extract_product(URL, page)
    assert (facts.title, facts.price, facts.currency, facts.sku) == (
        "Bench Top",
        Decimal("165.95"),
        "USD",
        "T9F432251",
    )
    assert facts.source["price"] == "heuristic"
