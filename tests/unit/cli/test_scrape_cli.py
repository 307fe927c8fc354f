"""`afp scrape`: offline parsing of saved pages, safe fetching, and the contract's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import afp_bootstrap.scraping
from afp_adapters.scraping.fetch import FetchPolicy
from afp_bootstrap.scraping import build_http_scraper
from afp_cli import app
from tests.shared_fixtures import PAGES, needs_pages
from tests.unit.scraping_fetch._support import FakeResolver, RecordingTransport

runner = CliRunner()
TEFAL = PAGES / "amazon_uk_B004SNMXRS.html"
TEFAL_URL = "https://www.amazon.co.uk/dp/B004SNMXRS"
TEFAL_TITLE = "Tefal 5 Piece, Essential, Pots and Pans Set, Black, Aluminium, Non Stick"


@needs_pages
def test_a_saved_page_is_parsed_offline_into_the_product_facts_json() -> None:
    result = runner.invoke(app, ["scrape", "--html", str(TEFAL), "--url", TEFAL_URL, "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["title"] == TEFAL_TITLE
    assert (facts["price"], facts["currency"]) == ("48.99", "GBP")
    assert facts["asin"] == "B004SNMXRS" and facts["url"] == TEFAL_URL
    assert isinstance(facts["bullets"], list) and isinstance(facts["images"], list)
    assert len(facts["images"]) == 9
    assert facts["source"]["title"]
    assert set(facts) >= {
        "url",
        "title",
        "bullets",
        "description",
        "price",
        "currency",
        "brand",
        "images",
        "rating",
        "review_count",
        "sku",
        "asin",
        "source",
    }


@needs_pages
def test_a_saved_page_is_shown_as_a_table_by_default() -> None:
    result = runner.invoke(app, ["scrape", "--html", str(TEFAL), "--url", TEFAL_URL])
    assert result.exit_code == 0, result.output
    assert "Tefal 5 Piece" in result.stdout
    assert "48.99 GBP" in result.stdout
    assert "images" in result.stdout and "9" in result.stdout


@needs_pages
@pytest.mark.parametrize("page", ["amazon_captcha_1.html", "amazon_captcha_continue_shopping.html"])
def test_a_saved_captcha_page_fails_the_job_with_its_error_code(page: str) -> None:
    result = runner.invoke(app, ["scrape", "--html", str(PAGES / page), "--url", TEFAL_URL])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: scrape_blocked: ")
    assert "retry later" in result.stderr


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ([], "give a product URL, or --html FILE --url URL"),
        ([TEFAL_URL, "--html", str(TEFAL), "--url", TEFAL_URL], "not both"),
        (["--html", str(TEFAL)], "--html needs --url"),
        (["--url", TEFAL_URL], "--url goes with --html"),
        (["--html", "missing.html", "--url", TEFAL_URL], "cannot read missing.html"),
        (["--html", str(TEFAL), "--url", "file:///tmp/x"], "--url must be the page's http(s)"),
        (["ftp://example.com/x"], "blocked_url: only http(s) URLs"),
        (["http://127.0.0.1/admin"], "blocked_url: refused to fetch: 127.0.0.1, which is loopback"),
        (["http://localhost:8080/"], "blocked_url: refused to fetch: port 8080 is not allowed"),
        (["http://2130706433/"], "blocked_url: refused to fetch: '2130706433' is an unusual"),
    ],
)
def test_bad_input_exits_2_with_a_one_line_reason(
    args: list[str], reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["scrape", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert reason in lines[0]


def _offline_scraper(
    monkeypatch: pytest.MonkeyPatch, status: int, page: bytes
) -> RecordingTransport:
    transport = RecordingTransport(
        lambda _: httpx.Response(status, headers={"content-type": "text/html"}, content=page)
    )
    resolver = FakeResolver({"www.amazon.co.uk": ["54.239.33.91"]})
    monkeypatch.setattr(
        afp_bootstrap.scraping,
        "build_http_scraper",
        lambda settings=None: build_http_scraper(
            transport=transport, resolver=resolver, policy=FetchPolicy(backoff=0.001)
        ),
    )
    return transport


@needs_pages
def test_a_url_is_fetched_through_the_safe_fetcher(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = _offline_scraper(monkeypatch, 200, TEFAL.read_bytes())
    result = runner.invoke(
        app, ["scrape", "https://www.amazon.co.uk/Tefal/dp/B004SNMXRS?tag=x", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == TEFAL_TITLE
    assert [r.url.raw_path for r in transport.requests] == [b"/dp/B004SNMXRS"]


@needs_pages
def test_a_fetched_captcha_fails_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    _offline_scraper(monkeypatch, 503, (PAGES / "amazon_captcha_1.html").read_bytes())
    result = runner.invoke(app, ["scrape", TEFAL_URL])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: scrape_blocked: ")
