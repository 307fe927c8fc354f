"""`HttpProductScraper`: Amazon URL handling, Shopify endpoints and error mapping.

The extractor is injected (a recording stand-in) so these tests pin the scraper's own
behaviour; the last tests go through the real extractor with saved fixture pages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx
import pytest

from afp_adapters.scraping.scraper import (
    HttpProductScraper,
    accept_language,
    amazon_canonical_url,
    merge_facts,
)
from afp_core.domain.errors import (
    BlockedUrl,
    ProviderUnavailable,
    ScrapeBlocked,
    ValidationFailed,
)
from afp_core.domain.product import ProductFacts
from tests.shared_fixtures import PAGES, needs_pages
from tests.unit.scraping_fetch._support import (
    PUBLIC_IP,
    Handler,
    html,
    make_fetcher,
    never,
    redirect,
)

CAPTCHA = '<form action="/errors/validateCaptcha"><input name="amzn"></form>'
AMAZON = {
    "amzn.to": [PUBLIC_IP],
    "www.amazon.co.uk": ["54.239.33.91"],
    "www.amazon.de": ["54.239.33.92"],
    "store.example": [PUBLIC_IP],
    "evil.example": [PUBLIC_IP],
}


class RecordingExtract:
    """Stands in for `extract_product`: blocks on captcha markers, else answers `facts`."""

    def __init__(self, facts: ProductFacts | None = None) -> None:
        self.facts = facts
        self.calls: list[tuple[str, str]] = []

    def __call__(self, url: str, page: str | bytes) -> ProductFacts:
        text = page if isinstance(page, str) else page.decode()
        self.calls.append((url, text))
        if "validateCaptcha" in text:
            raise ScrapeBlocked("captcha")
        if self.facts is None:
            raise ScrapeBlocked("the page at this URL does not show a product")
        return self.facts


class RecordingShopify:
    def __init__(self, facts: ProductFacts) -> None:
        self.facts = facts
        self.calls: list[tuple[str, Mapping[str, Any], bool]] = []

    def __call__(self, url: str, payload: Mapping[str, Any], *, minor_units: bool) -> ProductFacts:
        self.calls.append((url, payload, minor_units))
        return self.facts


def _scraper(
    handler: Handler, extract: RecordingExtract, shopify: RecordingShopify | None = None
) -> tuple[HttpProductScraper, Any]:
    fetcher, transport, _, _ = make_fetcher(handler, AMAZON)
    if shopify is None:
        return HttpProductScraper(fetcher, extract=extract), transport
    return HttpProductScraper(fetcher, extract=extract, shopify=shopify), transport


PAGE_FACTS = ProductFacts(
    url="https://www.amazon.co.uk/dp/B004SNMXRS",
    title="Tefal pans",
    price=Decimal("48.99"),
    currency="GBP",
    images=("https://m.media-amazon.com/images/I/a.jpg",),
    source={"title": "amazon:#productTitle", "price": "amazon:buy-box"},
)


async def test_an_amazon_short_link_is_followed_to_the_canonical_dp_page() -> None:
    def shop(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "amzn.to":
            return redirect(
                "https://www.amazon.co.uk/Tefal-Piece-Essential/dp/b004snmxrs/ref=sr_1?tag=x-21",
                301,
            )
        return html("<span id='productTitle'>Tefal</span>")

    extract = RecordingExtract(PAGE_FACTS)
    scraper, transport = _scraper(shop, extract)
    facts = await scraper.scrape("https://amzn.to/3abcDEF")
    assert facts == PAGE_FACTS
    assert transport.hosts == ["amzn.to", "www.amazon.co.uk"]
    product_request = transport.requests[1]
    assert product_request.url.raw_path == b"/dp/B004SNMXRS"
    assert product_request.url.host == "54.239.33.91"
    assert product_request.headers["accept-language"].startswith("en-GB")
    assert extract.calls[0][0] == "https://www.amazon.co.uk/dp/B004SNMXRS"


async def test_a_short_link_may_only_lead_through_amazon_hosts() -> None:
    scraper, transport = _scraper(
        lambda _: redirect("https://evil.example/dp/B004SNMXRS"), RecordingExtract(PAGE_FACTS)
    )
    with pytest.raises(BlockedUrl, match="not allowed"):
        await scraper.scrape("https://amzn.to/3abcDEF")
    assert transport.hosts == ["amzn.to"]


async def test_an_amazon_url_is_fetched_as_its_canonical_dp_url_with_the_marketplace_language() -> (
    None
):
    scraper, transport = _scraper(lambda _: html("<p>page</p>"), RecordingExtract(PAGE_FACTS))
    await scraper.scrape("https://smile.amazon.de/-/de/Some-Slug/dp/B006V2OP48/?psc=1&tag=aff-21")
    (sent,) = transport.requests
    assert sent.headers["host"] == "www.amazon.de"
    assert sent.url.raw_path == b"/dp/B006V2OP48"
    assert sent.headers["accept-language"] == "de-DE,de;q=0.9,en;q=0.8"


def test_canonical_amazon_urls_and_languages() -> None:
    assert amazon_canonical_url("https://amazon.com/gp/product/b0057oc5o8?th=1") == (
        "https://www.amazon.com/dp/B0057OC5O8"
    )
    assert accept_language("www.amazon.co.jp") == "ja-JP,ja;q=0.9,en;q=0.8"
    assert accept_language("shop.example") == "en-US,en;q=0.9"
    with pytest.raises(ValidationFailed, match="no Amazon product"):
        amazon_canonical_url("https://www.amazon.co.uk/gp/help/customer")


async def test_an_amazon_captcha_served_as_503_is_a_blocked_scrape_after_the_retries() -> None:
    scraper, transport = _scraper(lambda _: html(CAPTCHA, 503), RecordingExtract(PAGE_FACTS))
    with pytest.raises(ScrapeBlocked, match="captcha") as blocked:
        await scraper.scrape("https://www.amazon.co.uk/dp/B004SNMXRS")
    assert "retry later" in blocked.value.next_steps
    assert len(transport.requests) == 3


async def test_a_captcha_served_as_200_is_a_blocked_scrape() -> None:
    scraper, _ = _scraper(lambda _: html(CAPTCHA), RecordingExtract(PAGE_FACTS))
    with pytest.raises(ScrapeBlocked):
        await scraper.scrape("https://www.amazon.co.uk/dp/B004SNMXRS")


@pytest.mark.parametrize("status", [404, 410])
async def test_a_missing_product_is_bad_input(status: int) -> None:
    scraper, _ = _scraper(lambda _: html("<h1>Not found</h1>", status), RecordingExtract())
    with pytest.raises(ValidationFailed, match="no product at this URL"):
        await scraper.scrape("https://store.example/products/gone")


async def test_a_404_carrying_amazons_robot_notice_is_a_blocked_scrape() -> None:
    soft = (
        "<!-- To discuss automated access to Amazon data please contact "
        "api-services-support@amazon.com -->"
    )
    scraper, _ = _scraper(lambda _: html(soft, 404), RecordingExtract(PAGE_FACTS))
    with pytest.raises(ScrapeBlocked):
        await scraper.scrape("https://www.amazon.co.uk/dp/B004SNMXRS")


async def test_a_lasting_server_error_is_unavailable() -> None:
    scraper, transport = _scraper(lambda _: html("<h1>oops</h1>", 502), RecordingExtract())
    with pytest.raises(ProviderUnavailable, match="HTTP 502"):
        await scraper.scrape("https://store.example/p/1")
    assert len(transport.requests) == 3


async def test_a_shop_that_does_not_answer_is_unavailable() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    scraper, _ = _scraper(down, RecordingExtract())
    with pytest.raises(ProviderUnavailable):
        await scraper.scrape("https://store.example/p/1")


async def test_a_forbidden_page_is_a_blocked_scrape() -> None:
    scraper, _ = _scraper(lambda _: html("<h1>Access denied</h1>", 403), RecordingExtract())
    with pytest.raises(ScrapeBlocked, match="HTTP 403"):
        await scraper.scrape("https://store.example/p/1")


async def test_a_private_address_is_refused_without_any_request() -> None:
    scraper, transport = _scraper(never, RecordingExtract())
    with pytest.raises(BlockedUrl):
        await scraper.scrape("http://[::ffff:10.0.0.1]/products/x")
    assert transport.requests == []


SHOPIFY_PAGE = '<script src="//cdn.shopify.com/s/x.js"></script><h1>Blue mug</h1>'
THIN_PAGE_FACTS = ProductFacts(
    url="https://store.example/products/blue-mug",
    title="Blue mug | Store",
    bullets=("Holds 350 ml",),
    brand="Page Brand",
    source={"title": "og:title", "bullets": "heuristics", "brand": "json-ld"},
)
ENDPOINT_FACTS = ProductFacts(
    url="https://store.example/products/blue-mug",
    title="Blue Mug",
    price=Decimal("12.50"),
    images=("https://cdn.shopify.com/mug.jpg",),
    source={"title": "shopify-endpoint", "price": "shopify-endpoint", "images": "shopify-endpoint"},
)


def _store(
    *, js: httpx.Response | None = None, product_json: httpx.Response | None = None
) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/products/blue-mug":
            return html(SHOPIFY_PAGE)
        if path == "/products/blue-mug.js":
            return js or httpx.Response(200, json={"title": "Blue Mug", "price": 1250})
        if path == "/products/blue-mug.json":
            return product_json or httpx.Response(404)
        if path == "/cart.js":
            return httpx.Response(200, json={"currency": "EUR", "items": []})
        return httpx.Response(404)

    return handle


async def test_a_shopify_product_merges_the_js_endpoint_with_the_page_field_by_field() -> None:
    shopify = RecordingShopify(ENDPOINT_FACTS)
    scraper, transport = _scraper(_store(), RecordingExtract(THIN_PAGE_FACTS), shopify)
    facts = await scraper.scrape("https://store.example/products/blue-mug")
    assert [r.url.path for r in transport.requests] == [
        "/products/blue-mug",
        "/products/blue-mug.js",
        "/cart.js",
    ]
    assert transport.requests[1].headers["accept"].startswith("application/json")
    assert shopify.calls == [
        ("https://store.example/products/blue-mug", {"title": "Blue Mug", "price": 1250}, True)
    ]
    assert (facts.title, facts.price, facts.currency) == ("Blue Mug", Decimal("12.50"), "EUR")
    assert facts.bullets == ("Holds 350 ml",) and facts.brand == "Page Brand"
    assert facts.images == ("https://cdn.shopify.com/mug.jpg",)
    assert facts.source == {
        "title": "shopify-endpoint",
        "price": "shopify-endpoint",
        "images": "shopify-endpoint",
        "bullets": "heuristics",
        "brand": "json-ld",
        "currency": "shopify:/cart.js",
    }


async def test_the_json_endpoint_is_the_fallback_when_the_js_endpoint_is_refused() -> None:
    shopify = RecordingShopify(ENDPOINT_FACTS)
    handler = _store(
        js=httpx.Response(403, text="denied"),
        product_json=httpx.Response(200, json={"product": {"title": "Blue Mug"}}),
    )
    scraper, _ = _scraper(handler, RecordingExtract(THIN_PAGE_FACTS), shopify)
    facts = await scraper.scrape("https://store.example/products/blue-mug")
    assert facts.title == "Blue Mug"
    assert shopify.calls[0][1:] == ({"title": "Blue Mug"}, False)


async def test_when_the_endpoints_fail_the_page_facts_are_used() -> None:
    handler = _store(js=httpx.Response(404), product_json=httpx.Response(404))
    scraper, _ = _scraper(
        handler, RecordingExtract(THIN_PAGE_FACTS), RecordingShopify(ENDPOINT_FACTS)
    )
    assert await scraper.scrape("https://store.example/products/blue-mug") == THIN_PAGE_FACTS


async def test_a_page_without_a_product_can_be_rescued_by_the_endpoint() -> None:
    scraper, _ = _scraper(_store(), RecordingExtract(None), RecordingShopify(ENDPOINT_FACTS))
    facts = await scraper.scrape("https://store.example/products/blue-mug")
    assert facts.title == "Blue Mug" and facts.currency == "EUR"


async def test_a_complete_non_shopify_page_asks_no_endpoint() -> None:
    full = ProductFacts(
        url="https://store.example/item/1", title="Lamp", price=Decimal(5), images=("https://i/1",)
    )
    scraper, transport = _scraper(lambda _: html("<h1>Lamp</h1>"), RecordingExtract(full))
    assert await scraper.scrape("https://store.example/item/1") == full
    assert len(transport.requests) == 1


def test_merging_keeps_price_and_currency_together() -> None:
    endpoint = ProductFacts(url="u", title="T", price=Decimal(3), source={"price": "endpoint"})
    page = ProductFacts(
        url="u", title="P", price=Decimal(4), currency="USD", source={"currency": "og"}
    )
    merged = merge_facts(endpoint, page)
    assert (merged.price, merged.currency, merged.title) == (Decimal(3), "USD", "T")
    assert merged.source == {"price": "endpoint", "currency": "og"}
    assert merge_facts(endpoint, None) is endpoint


# ---- through the real extractor, with saved pages served by a MockTransport


def _fixture(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@needs_pages
async def test_a_saved_amazon_page_comes_back_as_facts_through_the_real_extractor() -> None:
    page = _fixture("amazon_uk_B004SNMXRS.html")
    fetcher, transport, _, _ = make_fetcher(
        lambda _: httpx.Response(200, headers={"content-type": "text/html"}, content=page), AMAZON
    )
    facts = await HttpProductScraper(fetcher).scrape(
        "https://www.amazon.co.uk/Tefal-Essential/dp/B004SNMXRS?ref=abc"
    )
    assert facts.title == "Tefal 5 Piece, Essential, Pots and Pans Set, Black, Aluminium, Non Stick"
    assert (facts.price, facts.currency, facts.asin) == (Decimal("48.99"), "GBP", "B004SNMXRS")
    assert len(facts.images) == 9
    assert transport.requests[0].url.raw_path == b"/dp/B004SNMXRS"


@needs_pages
async def test_a_saved_captcha_page_is_a_blocked_scrape_through_the_real_extractor() -> None:
    page = _fixture("amazon_captcha_1.html")
    fetcher, _, _, _ = make_fetcher(
        lambda _: httpx.Response(503, headers={"content-type": "text/html"}, content=page), AMAZON
    )
    with pytest.raises(ScrapeBlocked):
        await HttpProductScraper(fetcher).scrape("https://www.amazon.co.uk/dp/B004SNMXRS")


@needs_pages
async def test_a_saved_shopify_page_merges_with_its_js_endpoint_through_the_real_extractor() -> (
    None
):
    page = _fixture("shopify_mediamarkt-pt_micro-ondas-panasonic-nn-k35hwmebg-800w-23l.html")
    endpoint = {
        "title": "Microondas Panasonic NN-K35HWMEBG 800W 23L",
        "vendor": "Panasonic",
        "price": 10900,
        "variants": [{"price": 10900, "sku": "1236291", "available": True}],
        "images": ["//cdn.shopify.com/s/files/1/mw.jpg"],
    }

    def store(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(".js"):
            return httpx.Response(
                200,
                content=json.dumps(endpoint).encode(),
                headers={"content-type": "application/json"},
            )
        return httpx.Response(200, headers={"content-type": "text/html"}, content=page)

    fetcher, transport, _, _ = make_fetcher(store, {"mediamarkt.pt": [PUBLIC_IP]})
    url = "https://mediamarkt.pt/products/micro-ondas-panasonic-nn-k35hwmebg-800w-23l"
    facts = await HttpProductScraper(fetcher).scrape(url)
    assert facts.title == "Microondas Panasonic NN-K35HWMEBG 800W 23L"
    assert (facts.price, facts.currency) == (Decimal("109.00"), "EUR")
    assert facts.source["price"] == "shopify-endpoint"
    assert [r.url.path for r in transport.requests][:2] == [
        "/products/micro-ondas-panasonic-nn-k35hwmebg-800w-23l",
        "/products/micro-ondas-panasonic-nn-k35hwmebg-800w-23l.js",
    ]
