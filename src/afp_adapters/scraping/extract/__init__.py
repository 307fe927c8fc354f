"""Pure product extraction: (url, html) → `ProductFacts`, or `ScrapeBlocked` for block pages.

No I/O here: the fetcher (another module) downloads the page and calls `extract_product`, or
calls `facts_from_shopify_product` on a Shopify product endpoint's JSON."""

from afp_adapters.scraping.extract.api import extract_product
from afp_adapters.scraping.extract.classify import PageKind, classify_page
from afp_adapters.scraping.extract.hosts import (
    asin_from_url,
    is_amazon_host,
    is_amazon_short_link,
    marketplace_for,
)
from afp_adapters.scraping.extract.shopify import facts_from_shopify_product

__all__ = [
    "PageKind",
    "asin_from_url",
    "classify_page",
    "extract_product",
    "facts_from_shopify_product",
    "is_amazon_host",
    "is_amazon_short_link",
    "marketplace_for",
]
