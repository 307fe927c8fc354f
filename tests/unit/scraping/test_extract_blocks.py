import pytest
from bench.scrape import pages_dir

from afp_adapters.scraping.extract import PageKind, classify_page, extract_product
from afp_core.domain.errors import ScrapeBlocked

PAGES = pages_dir()
BLOCK_PAGES = {
    "amazon_captcha_1.html": PageKind.CAPTCHA,
    "amazon_captcha_continue_shopping.html": PageKind.CAPTCHA,
    "amazon_error_500_503.html": PageKind.ERROR_PAGE,
}


@pytest.mark.skipif(
    PAGES is None, reason="../shared/fixtures/pages is not checked out beside the repo"
)
@pytest.mark.parametrize(("name", "kind"), BLOCK_PAGES.items())
def test_saved_amazon_block_pages_raise_scrape_blocked(name: str, kind: PageKind) -> None:
    assert PAGES is not None
    page = (PAGES / name).read_bytes()
    url = "https://www.amazon.com/dp/B0057OC5O8"
    assert classify_page(url, page) is kind
    with pytest.raises(ScrapeBlocked) as raised:
        extract_product(url, page)
    assert "by hand" in raised.value.next_steps


@pytest.mark.parametrize(
    ("url", "page", "kind"),
    [
        (
            "https://www.amazon.de/dp/B0057OC5O8",
            "<html><script>ue_sn='opfcaptcha.amazon.de'</script>"
            "<h4>Geben Sie die Zeichen unten ein</h4></html>",
            PageKind.CAPTCHA,
        ),
        (
            "https://www.amazon.com/dp/B0057OC5O8",
            "<html><title></title><script>window.gokuProps={}</script>"
            "<script src='https://x.token.awswaf.com/c/challenge.js'></script></html>",
            PageKind.CAPTCHA,
        ),
        (
            "https://www.amazon.com/dp/B0057OC5O8",
            "<!-- To discuss automated access to Amazon data please contact "
            "api-services-support@amazon.com --><html>404</html>",
            PageKind.CAPTCHA,
        ),
        (
            "https://www.amazon.com/ap/signin?openid=x",
            "<html><form name='signIn'><input type='email' id='ap_email'></form></html>",
            PageKind.LOGIN_WALL,
        ),
        (
            "https://www.amazon.com/s?k=tape",
            "<html><title>Amazon.com : tape</title></html>",
            PageKind.NOT_A_PRODUCT,
        ),
        (
            "https://shop.example/login",
            "<html><form><input type=password></form></html>",
            PageKind.LOGIN_WALL,
        ),
        (
            "https://shop.example/p/1",
            "<html><title>Just a moment...</title>"
            "<script src='/cdn-cgi/challenge-platform/x.js'></script><h1>Checking</h1></html>",
            PageKind.CAPTCHA,
        ),
        (
            "https://shop.example/",
            "<html><body><p>Welcome</p></body></html>",
            PageKind.NOT_A_PRODUCT,
        ),
    ],
)
def test_block_and_non_product_pages_never_become_products(
    url: str, page: str, kind: PageKind
) -> None:
    assert classify_page(url, page) is kind
    with pytest.raises(ScrapeBlocked) as raised:
        extract_product(url, page.encode())
    assert raised.value.next_steps


def test_a_page_that_names_no_product_is_blocked_not_empty() -> None:
    with pytest.raises(ScrapeBlocked, match="does not show a product"):
        extract_product(
            "https://shop.example/p/1",
            "<html><head><meta property='og:type' content='product'></head></html>",
        )
