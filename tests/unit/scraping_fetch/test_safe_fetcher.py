"""`SafeFetcher`: pinned connections, vetted redirects, size/time/type limits and retries."""

from __future__ import annotations

import time

import httpx
import pytest

from afp_core.domain.errors import BlockedUrl, ProviderUnavailable, ValidationFailed
from tests.unit.scraping_fetch._support import (
    PUBLIC_IP,
    ChunkStream,
    html,
    make_fetcher,
    redirect,
)

SHOP = {"shop.example": [PUBLIC_IP]}


async def test_the_connection_goes_to_the_vetted_address_with_the_host_header_and_sni() -> None:
    fetcher, transport, resolver, _ = make_fetcher(lambda _: html("<h1>Mug</h1>"), SHOP)
    page = await fetcher.fetch("https://Shop.Example/products/mug?variant=2#reviews")
    (sent,) = transport.requests
    assert sent.url.host == PUBLIC_IP
    assert sent.url.scheme == "https"
    assert sent.url.raw_path == b"/products/mug?variant=2"
    assert sent.headers["host"] == "shop.example"
    assert sent.extensions["sni_hostname"] == "shop.example"
    assert sent.headers["user-agent"].startswith("Mozilla/5.0")
    assert "text/html" in sent.headers["accept"]
    assert sent.headers["accept-language"].startswith("en")
    assert resolver.calls == ["shop.example"]  # resolved once, never again by httpx
    assert page.url == "https://shop.example/products/mug?variant=2"
    assert page.ok and page.text == "<h1>Mug</h1>"


async def test_ipv6_addresses_and_allowed_extra_ports_are_pinned_too() -> None:
    fetcher, transport, _, _ = make_fetcher(
        lambda _: html(),
        {"shop.example": ["2606:4700::1111"]},
        allowed_ports=frozenset({443, 8443}),
    )
    await fetcher.fetch("https://shop.example:8443/x")
    (sent,) = transport.requests
    assert sent.url.host == "2606:4700::1111"
    assert sent.url.port == 8443
    assert sent.headers["host"] == "shop.example:8443"
    assert sent.extensions["sni_hostname"] == "shop.example"


async def test_plain_http_sends_no_sni_and_an_address_literal_is_not_resolved() -> None:
    fetcher, transport, resolver, _ = make_fetcher(lambda _: html())
    await fetcher.fetch("http://8.8.8.8/page")
    (sent,) = transport.requests
    assert sent.url.host == "8.8.8.8"
    assert "sni_hostname" not in sent.extensions
    assert resolver.calls == []


async def test_relative_redirects_are_followed_and_each_hop_is_resolved_again() -> None:
    def shop(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return redirect("/new?x=1", 301)
        if request.headers["host"] == "shop.example":
            return redirect("https://www.shop.example/final")
        return html("<h1>final</h1>")

    answers = {"shop.example": [PUBLIC_IP], "www.shop.example": ["93.184.216.35"]}
    fetcher, transport, resolver, _ = make_fetcher(shop, answers)
    page = await fetcher.fetch("https://shop.example/old")
    assert page.url == "https://www.shop.example/final"
    assert page.redirects == ("https://shop.example/old", "https://shop.example/new?x=1")
    assert [r.url.host for r in transport.requests] == [PUBLIC_IP, PUBLIC_IP, "93.184.216.35"]
    assert resolver.calls == ["shop.example", "shop.example", "www.shop.example"]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://10.0.0.1/admin", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://internal.example/", "'internal.example' resolves to 192.168.0.10"),
        ("http://localhost:80/", "local or internal host"),
        ("file:///etc/passwd", "only http(s)"),
        ("http://shop.example:6379/", "port 6379"),
    ],
)
async def test_a_redirect_to_a_refused_address_is_refused_before_following_it(
    location: str, reason: str
) -> None:
    answers = {"shop.example": [PUBLIC_IP], "internal.example": ["192.168.0.10"]}
    fetcher, transport, _, _ = make_fetcher(lambda _: redirect(location), answers)
    with pytest.raises(BlockedUrl) as refused:
        await fetcher.fetch("https://shop.example/go")
    assert reason in refused.value.message
    assert len(transport.requests) == 1  # only the first hop was ever sent


def _chain(request: httpx.Request) -> httpx.Response:
    step = int(request.url.path.rsplit("/", 1)[1])
    return redirect(f"/r/{step + 1}") if step < 100 else html()


async def test_five_redirects_are_followed() -> None:
    fetcher, transport, _, _ = make_fetcher(
        lambda r: html() if r.url.path == "/r/5" else _chain(r), SHOP
    )
    page = await fetcher.fetch("https://shop.example/r/0")
    assert page.url == "https://shop.example/r/5"
    assert len(transport.requests) == 6


async def test_a_sixth_redirect_is_refused() -> None:
    fetcher, transport, _, _ = make_fetcher(_chain, SHOP)
    with pytest.raises(BlockedUrl, match="more than 5 redirects"):
        await fetcher.fetch("https://shop.example/r/0")
    assert len(transport.requests) == 6


async def test_a_redirect_to_a_host_the_caller_does_not_allow_is_refused() -> None:
    answers = {"shop.example": [PUBLIC_IP], "other.example": [PUBLIC_IP]}
    fetcher, transport, _, _ = make_fetcher(lambda _: redirect("https://other.example/"), answers)
    with pytest.raises(BlockedUrl, match=r"redirects to other\.example"):
        await fetcher.fetch("https://shop.example/", allow_hop=lambda h: h == "shop.example")
    assert len(transport.requests) == 1


async def test_cookies_are_never_carried_to_another_host() -> None:
    def shop(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "shop.example":
            response = redirect("https://other.example/")
            response.headers["set-cookie"] = "session=secret; Path=/"
            return response
        return html()

    answers = {"shop.example": [PUBLIC_IP], "other.example": [PUBLIC_IP]}
    fetcher, transport, _, _ = make_fetcher(shop, answers)
    await fetcher.fetch("https://shop.example/")
    assert "cookie" not in transport.requests[1].headers


async def test_an_oversize_body_is_cut_off_at_the_cap() -> None:
    stream = ChunkStream([b"x" * 1000] * 50)
    fetcher, _, _, _ = make_fetcher(
        lambda _: httpx.Response(200, headers={"content-type": "text/html"}, stream=stream),
        SHOP,
        max_bytes=4000,
    )
    with pytest.raises(BlockedUrl, match="larger than 4000 bytes"):
        await fetcher.fetch("https://shop.example/big")
    assert stream.served == 5  # reading stopped at the cap, not at the end of the body


async def test_a_declared_oversize_body_is_refused_without_reading_it() -> None:
    stream = ChunkStream([b"x" * 10])
    fetcher, _, _, _ = make_fetcher(
        lambda _: httpx.Response(
            200, headers={"content-type": "text/html", "content-length": "99999"}, stream=stream
        ),
        SHOP,
        max_bytes=4000,
    )
    with pytest.raises(BlockedUrl, match="larger than"):
        await fetcher.fetch("https://shop.example/big")
    assert stream.served == 0


async def test_a_slow_dripping_body_is_cut_off_by_the_total_deadline() -> None:
    stream = ChunkStream([b"<p>drip</p>"] * 200, pause=0.02)  # each chunk is quick; all is not
    fetcher, _, _, _ = make_fetcher(
        lambda _: httpx.Response(200, headers={"content-type": "text/html"}, stream=stream),
        SHOP,
        deadline=0.2,
    )
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match=r"did not answer within 0\.2 s"):
        await fetcher.fetch("https://shop.example/slow")
    assert time.monotonic() - started < 1.0
    assert 0 < stream.served < 200


@pytest.mark.parametrize("content_type", ["image/png", "application/pdf", "application/json", ""])
async def test_a_page_of_the_wrong_content_type_is_refused(content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    fetcher, _, _, _ = make_fetcher(lambda _: httpx.Response(200, headers=headers), SHOP)
    with pytest.raises(BlockedUrl, match="not application/xhtml\\+xml or text/html"):
        await fetcher.fetch("https://shop.example/file")


async def test_json_is_accepted_when_json_is_expected() -> None:
    fetcher, transport, _, _ = make_fetcher(lambda _: httpx.Response(200, json={"a": 1}), SHOP)
    page = await fetcher.fetch("https://shop.example/products/mug.js", expect="json")
    assert page.json() == {"a": 1}
    assert transport.requests[0].headers["accept"].startswith("application/json")


async def test_a_503_is_retried_with_jittered_backoff_then_succeeds() -> None:
    answers = iter([html("busy", 503), html("busy", 503), html("<h1>ok</h1>")])
    fetcher, transport, _, sleeps = make_fetcher(lambda _: next(answers), SHOP)
    page = await fetcher.fetch("https://shop.example/p")
    assert page.text == "<h1>ok</h1>"
    assert len(transport.requests) == 3
    assert len(sleeps.delays) == 2
    assert all(0 <= d <= 4.0 for d in sleeps.delays)


async def test_a_lasting_5xx_comes_back_after_the_retries_for_the_caller_to_classify() -> None:
    fetcher, transport, _, _ = make_fetcher(lambda _: html("captcha?", 503), SHOP)
    page = await fetcher.fetch("https://shop.example/p")
    assert (page.status, page.text) == (503, "captcha?")
    assert len(transport.requests) == 3


async def test_timeouts_are_retried_then_reported_as_unavailable() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    fetcher, transport, _, _ = make_fetcher(hang, SHOP)
    with pytest.raises(ProviderUnavailable, match=r"shop\.example did not answer"):
        await fetcher.fetch("https://shop.example/p")
    assert len(transport.requests) == 3


async def test_a_dropped_connection_is_retried_and_can_recover() -> None:
    calls = iter([httpx.ConnectError("refused"), None])

    def flaky(request: httpx.Request) -> httpx.Response:
        error = next(calls)
        if error is not None:
            raise error
        return html()

    fetcher, transport, _, _ = make_fetcher(flaky, SHOP)
    assert (await fetcher.fetch("https://shop.example/p")).ok
    assert len(transport.requests) == 2


async def test_a_refusal_is_never_retried() -> None:
    fetcher, transport, _, sleeps = make_fetcher(lambda _: redirect("http://127.0.0.1/"), SHOP)
    with pytest.raises(BlockedUrl):
        await fetcher.fetch("https://shop.example/p")
    assert len(transport.requests) == 1
    assert sleeps.delays == []


async def test_a_host_that_does_not_exist_is_bad_input() -> None:
    fetcher, transport, _, _ = make_fetcher(lambda _: html(), {})
    with pytest.raises(ValidationFailed, match=r"'nope\.example' does not exist"):
        await fetcher.fetch("https://nope.example/")
    assert transport.requests == []


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        ("text/html; charset=ISO-8859-1", "caf\u00e9".encode("latin-1"), "caf\u00e9"),
        (
            "text/html",
            b'<meta charset="windows-1252">caf\xe9',
            '<meta charset="windows-1252">caf\u00e9',
        ),
        ("text/html", "caf\u00e9".encode(), "caf\u00e9"),
        ("text/html; charset=bogus", "caf\u00e9".encode(), "caf\u00e9"),
    ],
)
async def test_the_body_is_decoded_with_the_declared_charset(
    content_type: str, body: bytes, text: str
) -> None:
    fetcher, _, _, _ = make_fetcher(
        lambda _: httpx.Response(200, headers={"content-type": content_type}, content=body), SHOP
    )
    assert (await fetcher.fetch("https://shop.example/")).text == text


async def test_locate_follows_vetted_redirects_and_stops_without_requesting_the_target() -> None:
    answers = {"short.example": [PUBLIC_IP], "shop.example": [PUBLIC_IP]}
    fetcher, transport, _, _ = make_fetcher(
        lambda _: redirect("https://shop.example/item/42?ref=x", 301), answers
    )
    found = await fetcher.locate("https://short.example/abc", stop_at=lambda url: "/item/" in url)
    assert found == "https://shop.example/item/42?ref=x"
    assert transport.hosts == ["short.example"]
