"""`HttpProductScraper`: the `ProductScraper` port over `SafeFetcher` and the extractors.

Amazon: short links are followed (only through shortener and Amazon hosts) until the ASIN is
known, and product URLs are rebuilt as `https://www.<marketplace>/dp/<ASIN>` before the fetch.
Shopify: for a `/products/<handle>` page of a Shopify store, `/products/<handle>.js` (then
`.json`) is asked for too and wins field by field over the HTML, whose facts fill the gaps.
Outcomes map to the port's errors: refused URL → `BlockedUrl`; captcha, WAF or error page →
`ScrapeBlocked`; no answer, 5xx or 429 after retries → `ProviderUnavailable`; 404/410 →
`ValidationFailed`. A whole scrape (every fetch of it) has one time budget,
`FetchPolicy.scrape_deadline`; each fetch also keeps its own, shorter deadline.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import attrs

from afp_adapters.scraping.addresses import Target, parse_url
from afp_adapters.scraping.extract import (
    PageKind,
    asin_from_url,
    classify_page,
    extract_product,
    facts_from_shopify_product,
    is_amazon_host,
    is_amazon_short_link,
)
from afp_adapters.scraping.fetch import FetchedPage, SafeFetcher
from afp_core.domain.errors import (
    DomainError,
    ProviderUnavailable,
    ScrapeBlocked,
    ValidationFailed,
)
from afp_core.domain.product import ProductFacts

Extract = Callable[[str, str | bytes], ProductFacts]
ShopifyFacts = Callable[..., ProductFacts]

_SHOPIFY_PATH = re.compile(r"^(/(?:[^?#]*/)?products/[^/?#.]+)/?$")
_SHOPIFY_MARKERS = ("cdn.shopify.com", "Shopify.shop", "window.Shopify", "ShopifyAnalytics")
_AMAZON_PREFIXES = ("www.", "smile.", "m.")
_AMAZON_LANGUAGES = {
    "amazon.com": "en-US",
    "amazon.ca": "en-CA",
    "amazon.com.mx": "es-MX",
    "amazon.com.br": "pt-BR",
    "amazon.co.uk": "en-GB",
    "amazon.ie": "en-IE",
    "amazon.de": "de-DE",
    "amazon.fr": "fr-FR",
    "amazon.it": "it-IT",
    "amazon.es": "es-ES",
    "amazon.nl": "nl-NL",
    "amazon.com.be": "fr-BE",
    "amazon.se": "sv-SE",
    "amazon.pl": "pl-PL",
    "amazon.com.tr": "tr-TR",
    "amazon.ae": "en-AE",
    "amazon.sa": "ar-SA",
    "amazon.eg": "ar-EG",
    "amazon.in": "en-IN",
    "amazon.co.jp": "ja-JP",
    "amazon.com.au": "en-AU",
    "amazon.sg": "en-SG",
    "amazon.co.za": "en-ZA",
}
_FIELDS = (
    "title",
    "bullets",
    "description",
    "price",
    "brand",
    "images",
    "rating",
    "review_count",
    "sku",
    "asin",
    "categories",
)
_BLOCK_KINDS = frozenset({PageKind.CAPTCHA, PageKind.ERROR_PAGE, PageKind.LOGIN_WALL})
_ACCESS_REFUSED = frozenset({401, 403, 451})
_GONE = frozenset({404, 410})


class HttpProductScraper:
    """Implements `ProductScraper` over the network, through a `SafeFetcher`."""

    def __init__(
        self,
        fetcher: SafeFetcher,
        *,
        extract: Extract = extract_product,
        shopify: ShopifyFacts = facts_from_shopify_product,
    ) -> None:
        self._fetcher = fetcher
        self._extract = extract
        self._shopify = shopify

    async def aclose(self) -> None:
        await self._fetcher.aclose()

    async def scrape(self, url: str) -> ProductFacts:
        """Facts of the product at `url`. Raises only `BlockedUrl`, `ScrapeBlocked`,
        `ProviderUnavailable` or `ValidationFailed`."""
        policy = self._fetcher.policy
        target = parse_url(url, allowed_ports=policy.allowed_ports)
        try:
            async with asyncio.timeout(policy.scrape_deadline):
                return await self._scrape(target)
        except TimeoutError:
            raise ProviderUnavailable(
                f"scraping {target.host} took longer than {policy.scrape_deadline:g} s"
            ) from None

    async def _scrape(self, target: Target) -> ProductFacts:
        if is_amazon_short_link(target.host):
            return await self._amazon(await self._follow_short_link(target.url))
        if is_amazon_host(target.host):
            return await self._amazon(target.url)
        return await self._other_shop(target.url)

    async def _follow_short_link(self, url: str) -> str:
        def at_product(candidate: str) -> bool:
            host = urlsplit(candidate).hostname or ""
            return is_amazon_host(host) and asin_from_url(candidate) is not None

        found = await self._fetcher.locate(url, stop_at=at_product, allow_hop=_amazon_hop)
        if not at_product(found):
            raise ValidationFailed(f"the short link {url} does not lead to an Amazon product")
        return found

    async def _amazon(self, url: str) -> ProductFacts:
        canonical = amazon_canonical_url(url)
        host = urlsplit(canonical).hostname or ""
        page = await self._fetcher.fetch(
            canonical,
            headers={"Accept-Language": accept_language(host)},
            allow_hop=is_amazon_host,
        )
        self._raise_for_status(page)
        return self._extract(page.url, page.text)

    async def _other_shop(self, url: str) -> ProductFacts:
        page = await self._fetcher.fetch(url)
        self._raise_for_status(page)
        text = page.text
        facts: ProductFacts | None = None
        failure: DomainError | None = None
        try:
            facts = self._extract(page.url, text)
        except (ScrapeBlocked, ValidationFailed) as error:
            failure = error
        endpoint = shopify_product_path(page.url)
        wanted = facts is None or _is_thin(facts) or any(m in text for m in _SHOPIFY_MARKERS)
        if endpoint is not None and wanted:
            from_store = await self._shopify_facts(page.url, endpoint)
            if from_store is not None:
                merged = merge_facts(from_store, facts)
                return await self._with_shopify_currency(page.url, merged)
        if facts is None:
            assert failure is not None  # noqa: S101 - one of the two is always set
            raise failure
        return facts

    async def _shopify_facts(self, page_url: str, product_path: str) -> ProductFacts | None:
        for suffix, minor_units in ((".js", True), (".json", False)):
            payload = await self._json(_with_path(page_url, product_path + suffix))
            if suffix == ".json" and isinstance(payload, Mapping):
                payload = payload.get("product")
            if not isinstance(payload, Mapping):
                continue
            try:
                return self._shopify(page_url, payload, minor_units=minor_units)
            except DomainError:
                continue
        return None

    async def _with_shopify_currency(self, page_url: str, facts: ProductFacts) -> ProductFacts:
        """The `.js` payload has no currency: ask the store's `/cart.js` when none is known."""
        if facts.price is None or facts.currency:
            return facts
        cart = await self._json(_with_path(page_url, "/cart.js"))
        currency = cart.get("currency") if isinstance(cart, Mapping) else None
        if not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
            return facts
        return attrs.evolve(
            facts, currency=currency, source={**facts.source, "currency": "shopify:/cart.js"}
        )

    async def _json(self, url: str) -> Any:
        """A store endpoint's JSON, or None when it is refused, missing or not JSON."""
        host = urlsplit(url).hostname
        try:
            page = await self._fetcher.fetch(
                url, expect="json", allow_hop=lambda next_host: next_host == host
            )
            return page.json() if page.ok else None
        except DomainError:
            return None

    def _raise_for_status(self, page: FetchedPage) -> None:
        status = page.status
        if page.ok:
            return
        if page.body and classify_page(page.url, page.text) in _BLOCK_KINDS:
            # a captcha, robot check or shop error page says more than its status
            self._raise_if_extractor_blocks(page)
            raise ScrapeBlocked(f"the shop served a robot check or error page (HTTP {status})")
        if status in _GONE:
            raise ValidationFailed(f"no product at this URL: {page.url} (HTTP {status})")
        if status in _ACCESS_REFUSED:
            raise ScrapeBlocked(f"the shop refused access to {page.url} (HTTP {status})")
        if status >= 500 or status == 429:
            raise ProviderUnavailable(f"the shop answered HTTP {status} for {page.url}")
        raise ValidationFailed(f"the shop answered HTTP {status} for {page.url}")

    def _raise_if_extractor_blocks(self, page: FetchedPage) -> None:
        try:
            self._extract(page.url, page.text)
        except ScrapeBlocked:
            raise
        except DomainError:
            return


def amazon_canonical_url(url: str) -> str:
    """`https://www.<marketplace>/dp/<ASIN>`, without slug or tracking parameters."""
    host = (urlsplit(url).hostname or "").lower()
    asin = asin_from_url(url)
    if not is_amazon_host(host) or asin is None:
        raise ValidationFailed(f"no Amazon product (ASIN) in this URL: {url}")
    return f"https://www.{_bare_amazon(host)}/dp/{asin}"


def accept_language(host: str) -> str:
    """A browser-like `Accept-Language` for an Amazon marketplace (US English elsewhere)."""
    language = _AMAZON_LANGUAGES.get(_bare_amazon(host.lower()), "en-US")
    primary = language.split("-")[0]
    tail = "" if primary == "en" else ",en;q=0.8"
    return f"{language},{primary};q=0.9{tail}"


def shopify_product_path(url: str) -> str | None:
    """`/…/products/<handle>` when `url` is a Shopify-style product URL."""
    found = _SHOPIFY_PATH.match(urlsplit(url).path)
    return found.group(1) if found else None


def merge_facts(primary: ProductFacts, fallback: ProductFacts | None) -> ProductFacts:
    """`primary`'s fields where present, `fallback`'s otherwise; `source` follows each field.
    Price and currency travel together, except that a price without a currency takes the
    other side's currency (a shop shows one currency on its page and in its endpoints)."""
    if fallback is None:
        return primary
    values: dict[str, Any] = {}
    source: dict[str, str] = {}
    for name in _FIELDS:
        for side in (primary, fallback):
            value = getattr(side, name)
            if value not in (None, "", ()):
                values[name] = value
                if name in side.source:
                    source[name] = side.source[name]
                if name == "price":
                    _take_currency(side, primary if side is fallback else fallback, values, source)
                break
    if "price" not in values:
        _take_currency(primary, fallback, values, source)
    return attrs.evolve(primary, **values, source=source)


def _take_currency(
    side: ProductFacts, other: ProductFacts, values: dict[str, Any], source: dict[str, str]
) -> None:
    chosen = side if side.currency else other
    if chosen.currency:
        values["currency"] = chosen.currency
        if "currency" in chosen.source:
            source["currency"] = chosen.source["currency"]


def _is_thin(facts: ProductFacts) -> bool:
    return facts.price is None or not facts.images


def _amazon_hop(host: str) -> bool:
    return is_amazon_host(host) or is_amazon_short_link(host)


def _bare_amazon(host: str) -> str:
    for prefix in _AMAZON_PREFIXES:
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


__all__ = [
    "HttpProductScraper",
    "accept_language",
    "amazon_canonical_url",
    "merge_facts",
    "shopify_product_path",
]
