"""Scraping for the drivers: the real scraper, offline parsing and the product facts JSON.

The CLI (and the HTTP API) reach the scraping adapter only through here (importlinter.ini).
"""

from __future__ import annotations

from typing import Any

import httpx

from afp_adapters.scraping.extract import extract_product
from afp_adapters.scraping.fetch import FetchPolicy, Resolver, SafeFetcher
from afp_adapters.scraping.scraper import HttpProductScraper
from afp_bootstrap.settings import Settings
from afp_core.domain.errors import ValidationFailed
from afp_core.domain.product import ProductFacts


def build_http_scraper(
    settings: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
    policy: FetchPolicy | None = None,
) -> HttpProductScraper:
    """A network scraper with the SSRF-safe fetcher. `transport` and `resolver` exist for
    tests; close the scraper with `aclose()` when done. `settings` holds no scraping options
    yet: the fetch limits are `FetchPolicy`'s defaults."""
    del settings  # reserved for future AFP_SCRAPE_* options
    fetcher = SafeFetcher(resolver=resolver, transport=transport, policy=policy)
    return HttpProductScraper(fetcher)


def parse_saved_page(html: bytes, url: str) -> ProductFacts:
    """Product facts from a page saved to disk, as if it had been fetched from `url`.
    Raises `ScrapeBlocked` for a saved captcha or error page."""
    if not url.strip().lower().startswith(("http://", "https://")):
        raise ValidationFailed(f"--url must be the page's http(s) address, got {url!r}")
    return extract_product(url.strip(), html)


def facts_to_json(facts: ProductFacts) -> dict[str, Any]:
    """The contract's product facts JSON (contract.md): decimals as strings, lists as lists."""
    return {
        "url": facts.url,
        "title": facts.title,
        "bullets": list(facts.bullets),
        "description": facts.description,
        "price": None if facts.price is None else f"{facts.price:f}",
        "currency": facts.currency,
        "brand": facts.brand,
        "images": list(facts.images),
        "rating": None if facts.rating is None else f"{facts.rating:f}",
        "review_count": facts.review_count,
        "sku": facts.sku,
        "asin": facts.asin,
        "categories": list(facts.categories),
        "source": dict(facts.source),
    }


__all__ = ["build_http_scraper", "facts_to_json", "parse_saved_page"]
