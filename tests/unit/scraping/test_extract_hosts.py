import pytest

from afp_adapters.scraping.extract import asin_from_url, is_amazon_host, is_amazon_short_link
from afp_adapters.scraping.extract.hosts import marketplace_for


@pytest.mark.parametrize(
    "url",
    [
        "https://www.amazon.com/dp/B0057OC5O8",
        "https://www.amazon.com/SainSmart-Relay/dp/B0057OC5O8/ref=sr_1_1?keywords=relay",
        "https://www.amazon.com/dp/product/B0057OC5O8",
        "https://www.amazon.com/gp/product/B0057OC5O8?psc=1",
        "https://www.amazon.com/gp/aw/d/B0057OC5O8",
        "https://m.amazon.com/gp/aw/d/B0057OC5O8/",
        "https://www.amazon.com/gp/offer-listing/B0057OC5O8",
        "https://www.amazon.com/product-reviews/B0057OC5O8",
        "https://www.amazon.com/exec/obidos/ASIN/B0057OC5O8",
        "https://www.amazon.com/o/ASIN/B0057OC5O8",
        "https://www.amazon.de/-/de/dp/B0057OC5O8",
        "https://www.amazon.com/gp/something?asin=B0057OC5O8&tag=x",
        "https://www.amazon.com/gp/something?ASIN=b0057oc5o8",
        "https://www.amazon.com/dp/b0057oc5o8#reviews",
    ],
)
def test_the_asin_is_found_in_every_url_form(url: str) -> None:
    assert asin_from_url(url) == "B0057OC5O8"


def test_a_book_asin_is_its_isbn() -> None:
    assert asin_from_url("https://www.amazon.co.uk/Vegetable/dp/184975709X") == "184975709X"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.amazon.com/s?k=relay",
        "https://www.amazon.com/dp/B0057OC5O",  # nine characters
        "https://www.amazon.com/dp/B0057OC5O8X",  # eleven
    ],
)
def test_urls_without_an_asin_give_none(url: str) -> None:
    assert asin_from_url(url) is None


@pytest.mark.parametrize(
    "host",
    [
        "amazon.com",
        "www.amazon.com",
        "smile.amazon.com",
        "m.amazon.com",
        "www.amazon.co.uk",
        "www.amazon.de",
        "www.amazon.fr",
        "www.amazon.it",
        "www.amazon.es",
        "www.amazon.ca",
        "www.amazon.com.mx",
        "www.amazon.com.br",
        "www.amazon.co.jp",
        "www.amazon.in",
        "www.amazon.com.au",
        "www.amazon.nl",
        "www.amazon.se",
        "www.amazon.pl",
        "www.amazon.com.tr",
        "www.amazon.ae",
        "www.amazon.sa",
        "www.amazon.sg",
        "www.amazon.eg",
        "www.amazon.com.be",
        "WWW.AMAZON.DE.",
    ],
)
def test_every_regional_amazon_host_is_recognised(host: str) -> None:
    assert is_amazon_host(host)


@pytest.mark.parametrize(
    "host", ["amazon.evil.com", "notamazon.com", "amazonaws.com", "amzn.to", "example.com"]
)
def test_other_hosts_are_not_amazon(host: str) -> None:
    assert not is_amazon_host(host)


@pytest.mark.parametrize("host", ["amzn.to", "a.co", "amzn.eu", "amzn.asia", "www.amzn.to"])
def test_short_links_are_recognised_for_the_fetcher_to_resolve(host: str) -> None:
    assert is_amazon_short_link(host)
    assert not is_amazon_short_link("www.amazon.com")


def test_the_marketplace_id_wins_over_the_host() -> None:
    by_mid = marketplace_for("https://www.amazon.com/dp/X", "A1PA6795UKMFR9")
    assert by_mid is not None and by_mid.currency == "EUR" and by_mid.decimal_separator == ","
    by_host = marketplace_for("https://www.amazon.co.jp/dp/X")
    assert by_host is not None and by_host.currency == "JPY"
    assert marketplace_for("https://example.com/") is None
