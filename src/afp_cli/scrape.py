"""`afp scrape`: product facts from a URL (fetched safely) or from a saved page (offline)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from afp_cli._errors import fail_on_domain_errors
from afp_core.domain.errors import ValidationFailed
from afp_core.domain.product import ProductFacts


def scrape(
    url: Annotated[str | None, typer.Argument(help="The product page to fetch")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Parse this saved page instead of fetching")
    ] = None,
    page_url: Annotated[
        str | None, typer.Option("--url", help="With --html: the address the page was saved from")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the product facts JSON (contract.md)")
    ] = False,
) -> None:
    """Fetch a product page and print its facts: title, price, images, and where each came
    from. With --html FILE --url URL, parse a saved page without any network."""
    with fail_on_domain_errors():
        facts = _facts(url, html, page_url)
    if as_json:
        from afp_bootstrap.scraping import facts_to_json

        typer.echo(json.dumps(facts_to_json(facts), ensure_ascii=False, indent=2))
    else:
        _print_table(facts)


def _facts(url: str | None, html: Path | None, page_url: str | None) -> ProductFacts:
    if html is not None:
        if url is not None:
            raise ValidationFailed("give either a URL or --html FILE --url URL, not both")
        if page_url is None:
            raise ValidationFailed("--html needs --url, the address the page was saved from")
        if not page_url.strip().lower().startswith(("http://", "https://")):
            raise ValidationFailed(f"--url must be the page's http(s) address, got {page_url!r}")
        try:
            data = html.read_bytes()
        except OSError as exc:
            raise ValidationFailed(f"cannot read {html}: {exc.strerror or exc}") from None
        from afp_bootstrap.scraping import parse_saved_page

        return parse_saved_page(data, page_url)
    if page_url is not None:
        raise ValidationFailed("--url goes with --html; to fetch a page, give it as the argument")
    if url is None:
        raise ValidationFailed("give a product URL, or --html FILE --url URL")
    return asyncio.run(_fetch(url))


async def _fetch(url: str) -> ProductFacts:
    from afp_bootstrap.scraping import build_http_scraper
    from afp_core.usecases import ScrapeProduct, ScrapeProductCommand

    scraper = build_http_scraper()
    try:
        result = await ScrapeProduct(scraper).execute(ScrapeProductCommand(url=url))
    finally:
        await scraper.aclose()
    return result.product


def _print_table(facts: ProductFacts) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=facts.title, title_justify="left", show_lines=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    table.add_column("source", style="dim")
    price = "—" if facts.price is None else f"{facts.price:f} {facts.currency or ''}".strip()
    rating = "—"
    if facts.rating is not None:
        reviews = f" ({facts.review_count} reviews)" if facts.review_count is not None else ""
        rating = f"{facts.rating:f}{reviews}"
    first_image = f": {facts.images[0]}" if facts.images else ""
    description = facts.description[:200] + ("…" if len(facts.description) > 200 else "")
    rows = (
        ("url", facts.url, "url"),
        ("brand", facts.brand or "—", "brand"),
        ("price", price, "price"),
        ("currency", facts.currency or "—", "currency"),
        ("rating", rating, "rating"),
        ("sku", facts.sku or "—", "sku"),
        ("asin", facts.asin or "—", "asin"),
        ("images", f"{len(facts.images)}{first_image}", "images"),
        ("bullets", "\n".join(f"• {b}" for b in facts.bullets) or "—", "bullets"),
        ("description", description or "—", "description"),
    )
    table.add_row("title", facts.title, facts.source.get("title", ""))
    for label, value, key in rows:
        table.add_row(label, value, facts.source.get(key, ""))
    Console().print(table)


__all__ = ["scrape"]
