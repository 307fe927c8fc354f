"""ScrapeProduct: product facts from a URL, or from what the user typed in."""

from __future__ import annotations

import attrs

from afp_core.domain.errors import ValidationFailed
from afp_core.domain.product import ProductFacts
from afp_core.ports.generation import ProductScraper


@attrs.frozen
class ScrapeProductCommand:
    url: str
    manual: ProductFacts | None = None  # facts sent by hand: used as they are, nothing fetched


@attrs.frozen
class ScrapeProductResult:
    product: ProductFacts
    fetched: bool


class ScrapeProduct:
    """Fetch and extract, or accept the user's own facts (the first-class way round a shop that
    blocks robots). Errors: `BlockedUrl`, `ScrapeBlocked` (with next steps),
    `ProviderUnavailable`."""

    def __init__(self, scraper: ProductScraper) -> None:
        self._scraper = scraper

    async def execute(self, command: ScrapeProductCommand) -> ScrapeProductResult:
        if command.manual is not None:
            if not command.manual.images:
                raise ValidationFailed("facts sent by hand need at least one image URL")
            return ScrapeProductResult(command.manual, fetched=False)
        if not command.url.strip():
            raise ValidationFailed("a product URL is required")
        return ScrapeProductResult(await self._scraper.scrape(command.url.strip()), fetched=True)
