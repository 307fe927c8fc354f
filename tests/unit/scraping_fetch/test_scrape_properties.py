"""Property: whatever a shop answers (status, headers, compression, charset, redirects, body,
dropped connections), `HttpProductScraper.scrape()` returns `ProductFacts` or raises one of
the port's four errors, never a builtin or an httpx exception."""

from __future__ import annotations

import asyncio
import json
import ssl
import zlib
from collections.abc import Callable
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afp_adapters.scraping.scraper import HttpProductScraper
from afp_core.domain.errors import BlockedUrl, ProviderUnavailable, ScrapeBlocked, ValidationFailed
from afp_core.domain.product import ProductFacts
from tests.unit.scraping_fetch._support import PUBLIC_IP, ChunkStream, make_fetcher

ALLOWED = (BlockedUrl, ScrapeBlocked, ProviderUnavailable, ValidationFailed)
ANSWERS = {
    host: [PUBLIC_IP]
    for host in ("shop.example", "www.shop.example", "amzn.to", "www.amazon.com", "a.co")
} | {"private.example": ["10.0.0.1"]}


def _mostly(
    common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], often: int = 8
) -> st.SearchStrategy[Any]:
    """`common` about `often` times in ten, else `rare`."""
    return st.integers(0, 9).flatmap(lambda k: common if k < often else rare)


KNOWN_URLS = st.sampled_from(
    [
        "https://shop.example/p",
        "https://shop.example/products/mug",
        "https://amzn.to/abc",
        "https://www.amazon.com/dp/B000000001",
        "https://www.amazon.com/Widget/dp/B000000001?ref=x",
        "http://shop.example:8080/",
        "https://nowhere.example/",
    ]
)
URLS = _mostly(
    KNOWN_URLS,
    st.text(max_size=40) | st.text(max_size=20).map(lambda tail: "https://shop.example/" + tail),
)
STATUSES = _mostly(
    st.just(200),
    st.sampled_from([301, 302, 303, 307, 308, 401, 403, 404, 410, 429, 451, 503])
    | st.integers(100, 599),
    often=5,
)
LOCATIONS = st.one_of(
    st.sampled_from(
        [
            "/products/mug",
            "https://www.shop.example/p",
            "https://www.amazon.com/dp/B000000002",
            "https://a.co/d/x",
            "javascript:alert(1)",
            "mailto:a@b.example",
            "data:text/html,x",
            "http:evil.example",
            "http://[::1",
            "https://[::1]x/",
            "http://127.0.0.1/",
            "http://private.example/",
            "https://shop.example:99999/",
            "//169.254.169.254/",
            "ftp://shop.example/",
            "https://" + "a" * 64 + ".example/",
        ]
    ),
    st.text(max_size=30),
)
MEDIA = _mostly(
    st.sampled_from(["text/html", "application/json", "application/xhtml+xml"]),
    st.sampled_from(["image/png", "", "TEXT/HTML"]) | st.text(max_size=20),
)
CHARSETS = st.one_of(
    st.none(),
    st.sampled_from(
        ["utf-8", "latin-1", "base64", "hex", "rot13", "undefined", "idna", "utf-7", "utf-16"]
    ),
    st.text(max_size=12),
)
ENCODINGS = st.one_of(
    st.none(),
    st.sampled_from(["gzip", "deflate", "identity", "br", "gzip, gzip", "x-gzip", "GZIP"]),
    st.text(max_size=12),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["title", "price", "variants", "images", "product", "currency", "sku"])
            | st.text(max_size=8),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
PAGES = st.sampled_from(
    [
        "<html><head><title>Mug</title></head><body><h1>Mug</h1></body></html>",
        "<script src='https://cdn.shopify.com/x.js'></script><title>Mug</title><h1>Mug</h1>",
        '<form action="/errors/validateCaptcha"><input name="amzn"></form>',
        '<span id="productTitle">Widget</span><script>var ue_mid = "ATVPDKIKX0DER";</script>',
        '<script type="application/ld+json">{"@type":"Product","name":"Mug",'
        '"offers":{"price":"9.99","priceCurrency":"USD"}}</script>',
        "",
    ]
)
BODIES = st.one_of(
    PAGES.map(str.encode),
    st.binary(max_size=200),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"[" * 5000 + b"]" * 5000, b'{"price": ' + b"1" * 5000 + b"}"]),
)


def _header_value(text: str) -> bytes:
    return text.encode("latin-1", errors="replace").translate(None, b"\r\n\0")


def _compress(body: bytes, encoding: str | None, how: str) -> bytes:
    if how == "none" or encoding is None:
        return body
    if how == "bomb":
        body = b"\0" * (256 * 1024)
    wbits = {"gzip": 31, "zlib": 15, "raw": -15, "bomb": 31}[how]
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    packed = packer.compress(body) + packer.flush()
    return (
        packed
        if how != "gzip" or "gzip, gzip" not in encoding
        else _compress(packed, "gzip", "gzip")
    )


@st.composite
def answers(draw: st.DrawFn) -> Callable[[httpx.Request], httpx.Response]:
    """A response (or a transport failure) drawn once, or a fresh one for each request."""
    failures = ["timeout", "connect", "protocol", "certificate", "decoding"]
    failure = draw(st.sampled_from([*[None] * 20, *failures]))
    status = draw(STATUSES)
    headers: list[tuple[bytes, bytes]] = []
    media = draw(MEDIA)
    charset = draw(CHARSETS)
    if media or charset is not None:
        value = media + (f"; charset={charset}" if charset is not None else "")
        headers.append((b"content-type", _header_value(value)))
    encoding = draw(ENCODINGS)
    if encoding is not None:
        headers.append((b"content-encoding", _header_value(encoding)))
    if draw(st.booleans()):
        headers.append((b"location", _header_value(draw(LOCATIONS))))
    if draw(st.integers(0, 5)) == 0:
        headers.append(
            (b"content-length", _header_value(draw(st.text("0123456789x-", max_size=8))))
        )
    how = draw(st.sampled_from(["none", "gzip", "zlib", "raw", "bomb"]))
    body = _compress(draw(BODIES), encoding, how)
    repeat = draw(st.booleans())
    others = draw(st.lists(st.tuples(STATUSES, LOCATIONS), max_size=3))

    def answer(request: httpx.Request) -> httpx.Response:
        if failure == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if failure == "connect":
            raise httpx.ConnectError("refused", request=request)
        if failure == "protocol":
            raise httpx.RemoteProtocolError("peer closed", request=request)
        if failure == "decoding":
            raise httpx.DecodingError("bad", request=request)
        if failure == "certificate":
            cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
            raise httpx.ConnectError("CERTIFICATE_VERIFY_FAILED", request=request) from cause
        if not repeat and others:
            other_status, location = others.pop(0)
            return httpx.Response(other_status, headers=[(b"location", _header_value(location))])
        # a stream, as a real transport gives: httpx must not decode the body itself
        halves = [body[: len(body) // 2], body[len(body) // 2 :]]
        return httpx.Response(status, headers=headers, stream=ChunkStream(halves))

    return answer


async def _scrape(url: str, answer: Callable[[httpx.Request], httpx.Response]) -> Any:
    fetcher, _, _, _ = make_fetcher(answer, ANSWERS, max_bytes=64 * 1024)
    scraper = HttpProductScraper(fetcher)
    try:
        return await scraper.scrape(url)
    except ALLOWED as error:
        return error
    finally:
        await scraper.aclose()


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(url=URLS, answer=answers())
def test_scrape_raises_only_the_ports_errors(
    url: str, answer: Callable[[httpx.Request], httpx.Response]
) -> None:
    outcome = asyncio.run(_scrape(url, answer))
    assert isinstance(outcome, (ProductFacts, *ALLOWED))
