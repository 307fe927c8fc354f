"""`FakeProductScraper`: product facts served from a catalogue (JSON files or objects)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from afp_core.domain.errors import BlockedUrl, ScrapeBlocked
from afp_core.domain.product import ProductFacts


def facts_from_json(data: Mapping[str, Any]) -> ProductFacts:
    """Build `ProductFacts` from the contract's product facts JSON."""

    def dec(key: str) -> Decimal | None:
        value = data.get(key)
        return None if value in (None, "") else Decimal(str(value))

    return ProductFacts(
        url=str(data["url"]),
        title=str(data.get("title", "")),
        bullets=tuple(data.get("bullets") or ()),
        description=str(data.get("description") or ""),
        price=dec("price"),
        currency=data.get("currency"),
        brand=data.get("brand"),
        images=tuple(data.get("images") or ()),
        rating=dec("rating"),
        review_count=data.get("review_count"),
        sku=data.get("sku"),
        asin=data.get("asin"),
        categories=tuple(data.get("categories") or ()),
        source=dict(data.get("source") or {}),
    )


def bundled_catalogue() -> list[ProductFacts]:
    """The demo products shipped in `afp_adapters/fakes/data/products.json`."""
    text = resources.files("afp_adapters.fakes").joinpath("data/products.json").read_text()
    return [facts_from_json(item) for item in json.loads(text)]


class FakeProductScraper:
    """Implements `ProductScraper` without a network.

    Known URLs answer their facts; URLs listed in `blocked` answer `ScrapeBlocked` (as a captcha
    would); non-http(s) URLs are `BlockedUrl`; any other URL gets facts made up from its path
    when `invent_unknown` is set, else `ScrapeBlocked`.
    """

    def __init__(
        self,
        catalogue: Iterable[ProductFacts] = (),
        *,
        blocked: Iterable[str] = (),
        invent_unknown: bool = True,
    ) -> None:
        self._by_url = {p.url: p for p in catalogue}
        self.blocked = set(blocked)
        self.invent_unknown = invent_unknown
        self.requests: list[str] = []

    @classmethod
    def from_directory(cls, folder: Path, **kwargs: Any) -> FakeProductScraper:
        items = [facts_from_json(json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))]
        return cls(items, **kwargs)

    def add(self, product: ProductFacts) -> None:
        self._by_url[product.url] = product

    async def scrape(self, url: str) -> ProductFacts:
        self.requests.append(url)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BlockedUrl(f"only http(s) URLs with a host can be fetched: {url!r}")
        if url in self.blocked or parts.hostname in self.blocked:
            raise ScrapeBlocked(f"{parts.hostname} answered with a robot check")
        if url in self._by_url:
            return self._by_url[url]
        if not self.invent_unknown:
            raise ScrapeBlocked(f"{parts.hostname} returned an empty page")
        slug = parts.path.strip("/").split("/")[-1] or parts.hostname
        name = slug.replace("-", " ").replace("_", " ").strip().title() or "Product"
        return ProductFacts(
            url=url,
            title=name,
            bullets=(f"{name} for everyday use", "Easy to clean and store"),
            description=f"The {name} from {parts.hostname}.",
            images=(f"https://{parts.hostname}/images/{slug}.jpg",),
            source={"title": "fake", "bullets": "fake"},
        )
