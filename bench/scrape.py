"""Product extraction over the saved pages of `../shared/fixtures/pages`: accuracy and speed.

The scoring here is the one the accuracy test asserts (`tests/unit/scraping`), so the bench
and the test can never disagree. Run: `python -c "from bench import scrape; scrape.run()"`."""

from __future__ import annotations

import contextlib
import csv
import html
import re
import statistics
import time
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import unquote

import attrs
from selectolax.lexbor import LexborHTMLParser

from afp_adapters.scraping.extract import extract_product
from afp_core.domain.errors import ScrapeBlocked
from afp_core.domain.product import ProductFacts

REPEATS = 20


def pages_dir() -> Path | None:
    """`shared/fixtures/pages` beside the repository (the repo's parent holds `shared`)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "fixtures" / "pages"
        if (candidate / "MANIFEST.tsv").is_file():
            return candidate
    return None


def manifest_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@attrs.frozen
class Check:
    """One expected field of one page, and whether the extractor got it right."""

    file: str
    field: str
    expected: str
    got: str
    ok: bool


def _norm(text: str | None) -> str:
    return " ".join(html.unescape(text or "").split())


def _alternatives(raw: str) -> list[str]:
    """ "X (note); Y" → ["X", "Y"]: the trailing parenthesised note is not part of a value."""
    values = []
    for part in raw.split(";"):
        value = re.sub(r"\s*\([^()]*\)\s*$", "", part.strip())
        if value:
            values.append(_norm(value))
    return values


def _url_key(url: str | None) -> str:
    return unquote(url or "").replace(" ", "+")


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text.strip() else None
    except InvalidOperation:
        return None


def score_page(row: dict[str, str], html_text: str | bytes) -> list[Check]:
    """Every expected field of one manifest row against `extract_product`'s answer."""
    name = row["file"]
    if row["page_type"].startswith("block"):
        try:
            facts = extract_product(row["url"], html_text)
        except ScrapeBlocked:
            return [Check(name, "blocked", "ScrapeBlocked", "ScrapeBlocked", ok=True)]
        return [Check(name, "blocked", "ScrapeBlocked", f"product {facts.title!r}", ok=False)]
    try:
        facts = extract_product(row["url"], html_text)
    except ScrapeBlocked as error:
        return [Check(name, "page", "product", f"ScrapeBlocked: {error.message}", ok=False)]
    return list(_field_checks(row, facts))


def _field_checks(row: dict[str, str], facts: ProductFacts) -> Iterator[Check]:
    name = row["file"]
    amazon = row["shop"] == "amazon"

    def check(field: str, expected: str, got: object, ok: bool) -> Check:
        return Check(name, field, expected, "" if got is None else str(got), ok)

    titles = [_norm(row["title"]), *_alternatives(row["title_alternatives"])]
    yield check("title", row["title"], facts.title, _norm(facts.title) in titles)

    price = _decimal(row["price"])
    yield check("price", row["price"], facts.price, facts.price == price)
    currency = row["currency"] or None
    yield check("currency", row["currency"], facts.currency, facts.currency == currency)

    brands = [_norm(row["brand"])] if row["brand"] else []
    brands += _alternatives(row["brand_alternatives"])
    brand_ok = (
        _norm(facts.brand) in brands
        if row["brand"]
        else facts.brand is None or _norm(facts.brand) in brands
    )
    yield check("brand", row["brand"], facts.brand, brand_ok)

    rating = _decimal(row["rating"])
    rating_ok = (
        facts.rating is None
        if rating is None
        else facts.rating is not None and abs(facts.rating - rating) <= Decimal("0.005")
    )
    yield check("rating", row["rating"], facts.rating, rating_ok)
    reviews = int(row["review_count"]) if row["review_count"] else None
    yield check(
        "review_count", row["review_count"], facts.review_count, facts.review_count == reviews
    )

    skus = [row["sku_or_asin"].strip(), *_alternatives(row["sku_alternatives"])]
    got_sku = facts.asin if amazon else facts.sku
    yield check("sku_or_asin", row["sku_or_asin"], got_sku, (got_sku or "") in skus)

    count = int(row["image_count"] or 0)
    got_count = len(facts.images)
    count_ok = got_count == count if amazon else got_count >= count
    yield check("image_count", row["image_count"], got_count, count_ok)
    first = facts.images[0] if facts.images else None
    yield check(
        "main_image", row["main_image"], first, _url_key(first) == _url_key(row["main_image"])
    )

    if amazon and row["feature_bullets"]:
        bullets = int(row["feature_bullets"])
        yield check(
            "feature_bullets",
            row["feature_bullets"],
            len(facts.bullets),
            len(facts.bullets) == bullets,
        )


def score_all(folder: Path) -> list[Check]:
    checks: list[Check] = []
    for row in manifest_rows(folder):
        checks.extend(score_page(row, (folder / row["file"]).read_bytes()))
    return checks


def _parse_times(folder: Path, *, bare: bool = False) -> list[float]:
    """Median milliseconds per page over `REPEATS` runs (block pages included). `bare`: only
    the HTML parser's own tree building, the floor any extraction on it pays (the reference)."""
    medians = []
    for row in manifest_rows(folder):
        page = (folder / row["file"]).read_text(encoding="utf-8", errors="replace")
        runs = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            if bare:
                LexborHTMLParser(page)
            else:
                with contextlib.suppress(ScrapeBlocked):
                    extract_product(row["url"], page)
            runs.append((time.perf_counter() - start) * 1000)
        medians.append(statistics.median(runs))
    return medians


def run() -> None:
    folder = pages_dir()
    if folder is None:
        print("scrape: ../shared/fixtures/pages not found; skipped")
        return
    checks = score_all(folder)
    right = sum(c.ok for c in checks)
    print(
        f"scrape accuracy                     : {right}/{len(checks)} fields "
        f"({100 * right / len(checks):.1f}%)"
    )
    fields: dict[str, list[Check]] = {}
    for c in checks:
        fields.setdefault(c.field, []).append(c)
    for field, group in fields.items():
        ok = sum(c.ok for c in group)
        print(f"  {field:34}: {ok}/{len(group)}")
    for c in checks:
        if not c.ok:
            print(f"  miss {c.file} {c.field}: expected {c.expected!r}, got {c.got!r}")
    times = sorted(_parse_times(folder))
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"scrape parse time per page          : median {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms ({len(times)} pages x {REPEATS} runs; target: median < 15 ms)"
    )
    floor = statistics.median(_parse_times(folder, bare=True))
    print(f"  reference: HTML tree alone      : median {floor:.1f} ms (selectolax/lexbor parse)")
