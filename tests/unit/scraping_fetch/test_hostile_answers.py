"""Regression tests: hostile or broken answers come out as domain errors, never as builtin or
httpx exceptions, and never cost more memory or time than the limits allow."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import time
import tracemalloc
import zlib

import httpx
import pytest

from afp_adapters.scraping.addresses import parse_url
from afp_adapters.scraping.fetch import FetchedPage, FetchPolicy, decode_body
from afp_adapters.scraping.scraper import HttpProductScraper
from afp_bootstrap.providers import SCRAPE_TIMEOUT_S
from afp_core.domain.errors import (
    BlockedUrl,
    ProviderUnavailable,
    ScrapeBlocked,
    ValidationFailed,
)
from tests.unit.scraping_fetch._support import (
    PUBLIC_IP,
    ChunkStream,
    html,
    make_fetcher,
    never,
    redirect,
)

SHOP = {"shop.example": [PUBLIC_IP], "amzn.to": [PUBLIC_IP]}
MiB = 1024 * 1024
SHOPIFY_PAGE = (
    "<html><head><title>Mug</title><script src='https://cdn.shopify.com/s.js'></script></head>"
    "<body><h1>Mug</h1></body></html>"
)


def _bomb(size: int, wbits: int = 31) -> bytes:
    """`size` zero bytes, compressed (gzip by default) without ever holding them all."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b"\0" * MiB
    return b"".join(packer.compress(block) for _ in range(size // MiB)) + packer.flush()


def _chunks(body: bytes, chunk: int = 16 * 1024) -> ChunkStream:
    return ChunkStream([body[i : i + chunk] for i in range(0, len(body), chunk)])


def _encoded(body: bytes | ChunkStream, encoding: str) -> httpx.Response:
    stream = body if isinstance(body, ChunkStream) else _chunks(body)
    headers = {"content-type": "text/html", "content-encoding": encoding}
    return httpx.Response(200, headers=headers, stream=stream)


# ---------------------------------------------------------------- 1. compression


async def test_a_stacked_gzip_bomb_is_refused_without_reading_the_body() -> None:
    stream = _chunks(gzip.compress(_bomb(64 * MiB)))  # 64 MiB behind two layers: ~200 bytes
    fetcher, _, _, _ = make_fetcher(lambda _: _encoded(stream, "gzip, gzip"), SHOP, max_bytes=MiB)
    tracemalloc.start()
    try:
        with pytest.raises(BlockedUrl, match=r"Content-Encoding 'gzip, gzip'.*one gzip"):
            await fetcher.fetch("https://shop.example/")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stream.served == 0
    assert peak < 4 * MiB


async def test_a_single_layer_gzip_bomb_stops_inflating_at_the_cap() -> None:
    stream = _chunks(_bomb(64 * MiB))  # ~64 KB on the wire
    fetcher, _, _, _ = make_fetcher(lambda _: _encoded(stream, "gzip"), SHOP, max_bytes=MiB)
    tracemalloc.start()
    try:
        with pytest.raises(BlockedUrl, match="larger than 1 MB"):
            await fetcher.fetch("https://shop.example/")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MiB  # httpx's own decoder allocated the whole 64 MiB for one chunk
    assert stream.served < len(stream.chunks)


@pytest.mark.parametrize(
    ("encoding", "wbits"),
    [("gzip", 31), ("x-gzip", 31), ("gzip", 15), ("deflate", 15), ("deflate", -15)],
)
async def test_one_gzip_or_deflate_layer_is_inflated(encoding: str, wbits: int) -> None:
    page = b"<html><h1>caf\xc3\xa9</h1>" + b"<p>filler</p>" * 5000 + b"</html>"
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = packer.compress(page) + packer.flush()
    fetcher, _, _, _ = make_fetcher(lambda _: _encoded(_chunks(body, 1), encoding), SHOP)
    assert (await fetcher.fetch("https://shop.example/")).body == page


@pytest.mark.parametrize("encoding", ["identity", "", "Identity, "])
async def test_identity_is_no_encoding(encoding: str) -> None:
    fetcher, _, _, _ = make_fetcher(lambda _: _encoded(b"<h1>x</h1>", encoding), SHOP)
    assert (await fetcher.fetch("https://shop.example/")).body == b"<h1>x</h1>"


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, deflate", "deflate,gzip"])
async def test_other_or_stacked_encodings_are_refused(encoding: str) -> None:
    fetcher, _, _, _ = make_fetcher(lambda _: _encoded(b"whatever", encoding), SHOP)
    with pytest.raises(BlockedUrl, match="Content-Encoding"):
        await fetcher.fetch("https://shop.example/")


async def test_a_corrupt_compressed_body_is_unavailable_not_a_zlib_error() -> None:
    fetcher, transport, _, _ = make_fetcher(lambda _: _encoded(b"\x1f\x8bnot gzip", "gzip"), SHOP)
    with pytest.raises(ProviderUnavailable, match="corrupt gzip-compressed body"):
        await fetcher.fetch("https://shop.example/")
    assert len(transport.requests) == 1


# ---------------------------------------------------------------- 2. charsets


@pytest.mark.parametrize(
    "charset", ["base64", "hex", "rot13", "undefined", "idna", "punycode", "utf-7", "zlib"]
)
def test_a_charset_that_is_not_a_web_text_encoding_falls_back_to_utf8(charset: str) -> None:
    body = "<h1>caf\u00e9</h1>".encode()
    assert decode_body(body, charset) == "<h1>caf\u00e9</h1>"
    meta = f'<meta charset="{charset}"><h1>caf\u00e9</h1>'
    assert decode_body(meta.encode(), None) == meta


async def test_a_page_with_a_hostile_charset_still_scrapes() -> None:
    headers = {"content-type": "text/html; charset=base64"}
    page = httpx.Response(200, headers=headers, content=b"<title>Mug</title><h1>Mug</h1>")
    fetcher, _, _, _ = make_fetcher(lambda _: page, SHOP)
    facts = await HttpProductScraper(fetcher).scrape("https://shop.example/p")
    assert facts.title == "Mug"


# ---------------------------------------------------------------- 3. JSON


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
        (b'{"price": ' + b"1" * 5000 + b"}", "digits"),
        (b"[" * 101 + b"]" * 101, "nested more than 100"),
        (b"{", "Expecting"),
    ],
)
def test_json_that_cannot_be_decoded_is_bad_input(body: bytes, reason: str) -> None:
    page = FetchedPage("https://shop.example/x.js", 200, "application/json", None, body)
    with pytest.raises(ValidationFailed, match=reason):
        page.json()


def test_json_nan_and_infinities_are_null() -> None:
    page = FetchedPage("https://x.example/", 200, "application/json", None, b"[NaN, 1e999, 2.5]")
    assert page.json() == [None, None, 2.5]


async def test_an_endpoint_with_hostile_json_falls_back_to_the_page() -> None:
    def shop(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith((".js", ".json")):
            deep = b"[" * 100_000 + b"]" * 100_000
            return httpx.Response(200, headers={"content-type": "application/json"}, content=deep)
        return html(SHOPIFY_PAGE)

    fetcher, _, _, _ = make_fetcher(shop, SHOP)
    facts = await HttpProductScraper(fetcher).scrape("https://shop.example/products/mug")
    assert facts.title == "Mug"


# ---------------------------------------------------------------- 4. redirects


@pytest.mark.parametrize(
    "location",
    [
        "javascript:alert(1)",
        "mailto:a@b.example",
        "data:text/html,x",
        "http:evil.example",
        "http://[::1",
    ],
)
async def test_a_redirect_to_a_non_http_target_is_refused_once(location: str) -> None:
    fetcher, transport, _, sleeps = make_fetcher(lambda _: redirect(location), SHOP)
    with pytest.raises(BlockedUrl, match=r"redirect target .* is not a valid http"):
        await fetcher.fetch("https://shop.example/p")
    assert len(transport.requests) == 1  # never retried
    assert sleeps.delays == []


@pytest.mark.parametrize("location", ["javascript:alert(1)", "http://[::1"])
async def test_a_short_link_to_a_non_http_target_is_refused(location: str) -> None:
    fetcher, transport, _, _ = make_fetcher(lambda _: redirect(location), SHOP)
    with pytest.raises(BlockedUrl, match="not a valid http"):
        await HttpProductScraper(fetcher).scrape("https://amzn.to/abc")
    assert len(transport.requests) == 1


# ---------------------------------------------------------------- 5, 6. host names and URLs


@pytest.mark.parametrize(
    "url",
    [
        "https://" + "a" * 64 + ".example/p",
        "https://x." + "b" * 70 + "/p",
        "https://" + ".".join(["c" * 60] * 5) + ".example/",
    ],
)
async def test_host_names_longer_than_dns_allows_are_refused(url: str) -> None:
    fetcher, _, resolver, _ = make_fetcher(never)
    with pytest.raises(BlockedUrl, match="not a valid host name"):
        await HttpProductScraper(fetcher).scrape(url)
    assert resolver.calls == []


async def test_a_resolver_failing_on_a_name_is_a_refusal_not_a_unicode_error() -> None:
    class IdnaFails:
        async def resolve(self, host: str) -> list[object]:
            raise UnicodeError("encoding with 'idna' codec failed (label too long)")

    fetcher, _, _, _ = make_fetcher(never)
    fetcher._resolver = IdnaFails()  # type: ignore[assignment]
    with pytest.raises(BlockedUrl, match="not a valid host name"):
        await fetcher.fetch("https://shop.example/")


@pytest.mark.parametrize("url", ["https://shop.example/\ud800", "https://shop.example/?q=\udcff"])
def test_urls_with_lone_surrogates_are_refused(url: str) -> None:
    with pytest.raises(BlockedUrl, match="lone surrogates"):
        parse_url(url)


def test_the_ipv6_documentation_prefix_is_refused() -> None:
    with pytest.raises(BlockedUrl, match="documentation"):
        parse_url("http://[3fff::1]/")


# ---------------------------------------------------------------- 8. short links


@pytest.mark.parametrize(
    ("status", "error", "requests"),
    [
        (503, ProviderUnavailable, 3),
        (429, ProviderUnavailable, 3),
        (404, ValidationFailed, 1),
        (410, ValidationFailed, 1),
        (401, ScrapeBlocked, 1),
        (403, ScrapeBlocked, 1),
    ],
)
async def test_a_short_link_answering_an_error_status_maps_like_a_page(
    status: int, error: type[Exception], requests: int
) -> None:
    fetcher, transport, _, _ = make_fetcher(lambda _: html("busy", status), SHOP)
    with pytest.raises(error, match=f"HTTP {status}"):
        await HttpProductScraper(fetcher).scrape("https://amzn.to/abc")
    assert len(transport.requests) == requests


async def test_a_short_link_that_recovers_after_a_503_is_followed() -> None:
    answers = iter([html("busy", 503), redirect("https://www.amazon.co.uk/dp/B004SNMXRS")])
    fetcher, transport, _, _ = make_fetcher(lambda _: next(answers), SHOP)
    found = await fetcher.locate("https://amzn.to/abc", stop_at=lambda url: "/dp/" in url)
    assert found == "https://www.amazon.co.uk/dp/B004SNMXRS"
    assert len(transport.requests) == 2


# ---------------------------------------------------------------- 9. one budget per scrape


async def test_a_whole_scrape_has_one_deadline_shared_by_its_fetches() -> None:
    async def shop(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith((".js", ".json")):
            await asyncio.sleep(10)  # each endpoint uses up its own 0.2 s deadline
        return html(SHOPIFY_PAGE)

    fetcher, transport, _, _ = make_fetcher(
        shop,  # type: ignore[arg-type]  # MockTransport awaits an async handler's answer
        SHOP,
        deadline=0.2,
        scrape_deadline=0.3,
    )
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match=r"took longer than 0\.3 s"):
        await HttpProductScraper(fetcher).scrape("https://shop.example/products/mug")
    assert time.monotonic() - started < 1.0
    assert [r.url.path for r in transport.requests] == [
        "/products/mug",
        "/products/mug.js",
        "/products/mug.json",
    ]


def test_the_scrape_budget_stays_below_the_composition_roots_bound() -> None:
    policy = FetchPolicy()
    assert policy.deadline < policy.scrape_deadline < SCRAPE_TIMEOUT_S


# ---------------------------------------------------------------- TLS


async def test_a_certificate_that_does_not_verify_is_not_retried() -> None:
    def bad_certificate(request: httpx.Request) -> httpx.Response:
        try:
            raise ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed")
        except ssl.SSLError as exc:
            raise httpx.ConnectError(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request
            ) from exc

    fetcher, transport, _, sleeps = make_fetcher(bad_certificate, SHOP)
    with pytest.raises(ScrapeBlocked, match=r"TLS certificate did not verify for shop\.example"):
        await HttpProductScraper(fetcher).scrape("https://shop.example/p")
    assert len(transport.requests) == 1
    assert sleeps.delays == []
