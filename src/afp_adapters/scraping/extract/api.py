"""`extract_product(url, html)`: classify, then extract with the Amazon or the generic rules."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from afp_adapters.scraping.extract._text import decode
from afp_adapters.scraping.extract.amazon import extract_amazon, is_amazon_page
from afp_adapters.scraping.extract.classify import PageKind, classify_page
from afp_adapters.scraping.extract.generic import extract_generic
from afp_adapters.scraping.extract.hosts import host_of, is_amazon_host
from afp_core.domain.errors import ScrapeBlocked, ValidationFailed
from afp_core.domain.product import ProductFacts

BY_HAND = (
    "send the product's title, bullets and image URLs by hand "
    "(the `product` object of POST /generate/video)"
)
_MESSAGES = {
    PageKind.CAPTCHA: (
        "the shop answered with a captcha or robot check instead of the product",
        f"retry later, or {BY_HAND}",
    ),
    PageKind.ERROR_PAGE: (
        "the shop answered with an error page instead of the product",
        f"retry in a few minutes, or {BY_HAND}",
    ),
    PageKind.LOGIN_WALL: ("the shop asks to sign in before it shows the product", f"{BY_HAND}"),
    PageKind.NOT_A_PRODUCT: (
        "the page at this URL does not show a product",
        f"check that the URL opens one product's page, or {BY_HAND}",
    ),
}


def extract_product(url: str, html: str | bytes) -> ProductFacts:
    """Product facts of a saved page. `ScrapeBlocked` (with next steps) for a captcha, an error
    page, a login wall or a page without a product: never a product with empty fields."""
    body = decode(html)
    kind = classify_page(url, body)
    if kind is not PageKind.PRODUCT:
        raise _blocked(kind)
    tree = LexborHTMLParser(body)
    try:
        if is_amazon_host(host_of(url)) or is_amazon_page(body):
            return extract_amazon(url, body, tree)
        facts = extract_generic(url, body, tree)
    except ValidationFailed:  # the facts found do not make a product (no title...)
        raise _blocked(PageKind.NOT_A_PRODUCT) from None
    if facts is None:
        raise _blocked(PageKind.NOT_A_PRODUCT)
    return facts


def _blocked(kind: PageKind) -> ScrapeBlocked:
    message, next_steps = _MESSAGES[kind]
    return ScrapeBlocked(message, next_steps=next_steps)


__all__ = ["BY_HAND", "extract_product"]
