"""Every refused URL or address form is refused before any connection (SSRF rules, §7)."""

from __future__ import annotations

import pytest

from afp_adapters.scraping.addresses import parse_url
from afp_core.domain.errors import BlockedUrl
from tests.unit.scraping_fetch._support import PUBLIC_IP, make_fetcher, never

REFUSED_LITERALS = [
    # schemes
    ("file:///etc/passwd", "only http(s)"),
    ("gopher://shop.example/", "only http(s)"),
    ("ftp://shop.example/x", "only http(s)"),
    ("http:///no-host", "only http(s)"),
    # IPv4 ranges
    ("http://127.0.0.1/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://169.254.10.10/", "link-local"),
    ("http://100.100.100.200/", "metadata"),
    ("http://100.64.1.1/", "carrier-grade NAT"),
    ("http://0.0.0.0/", "this network"),
    ("http://0.1.2.3/", "this network"),
    ("http://224.0.0.1/", "multicast"),
    ("http://255.255.255.255/", "broadcast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://198.18.0.1/", "benchmarking"),
    ("http://192.0.2.1/", "documentation"),
    ("http://198.51.100.7/", "documentation"),
    ("http://203.0.113.9/", "documentation"),
    # IPv6 ranges and IPv4 embeddings
    ("http://[::1]/", "loopback"),
    ("http://[::]/", "unspecified"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("http://[fc00::1]/", "private"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[ff02::1]/", "multicast"),
    ("http://[2001:db8::1]/", "documentation"),
    ("http://[::ffff:127.0.0.1]/", "IPv4-mapped form of 127.0.0.1"),
    ("http://[::ffff:a9fe:a9fe]/", "IPv4-mapped form of 169.254.169.254"),
    ("http://[::127.0.0.1]/", "IPv4-compatible address, embedding 127.0.0.1"),
    ("http://[64:ff9b::a00:1]/", "NAT64"),
    ("http://[2002:7f00:1::]/", "6to4 (it reaches IPv4 hosts), embedding 127.0.0.1"),
    ("http://[2002:a00:1::1]/", "embedding 10.0.0.1"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
    # odd spellings of IPv4 addresses
    ("http://2130706433/", "unusual spelling of the address 127.0.0.1"),
    ("http://0177.0.0.1/", "unusual spelling of the address 127.0.0.1"),
    ("http://0x7f.1/", "unusual spelling of the address 127.0.0.1"),
    ("http://0x7f000001/", "unusual spelling of the address 127.0.0.1"),
    ("http://127.1/", "unusual spelling of the address 127.0.0.1"),
    ("http://127.0.0.01/", "unusual spelling of the address 127.0.0.1"),
    ("http://0xa9.0xfe.0xa9.0xfe/", "unusual spelling of the address 169.254.169.254"),
    ("http://1.2.3.4.5/", "not a valid host"),
    ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "loopback"),
    # userinfo and parser tricks
    ("http://evil@127.0.0.1/", "user name or password"),
    ("http://user:pass@shop.example/", "user name or password"),
    ("http://shop.example\\@127.0.0.1/", "backslashes"),
    ("http://shop.example%2F@127.0.0.1/", "user name or password"),
    ("http://127.0.0.1%2f/", "percent-encoded"),
    (" http://shop.example/a b", "spaces"),
    # local names
    ("http://localhost/", "local or internal host"),
    ("http://LocalHost/admin", "local or internal host"),
    ("http://api.localhost/", "local or internal host"),
    ("http://localhost./", "ending in a dot"),
    ("http://shop.example./", "ending in a dot"),
    ("http://metadata.google.internal/computeMetadata/v1/", "local or internal host"),
    ("http://printer.local/", "local or internal host"),
    ("http://intranet/", "no domain"),
    # ports
    ("http://shop.example:8080/", "port 8080 is not allowed"),
    ("https://shop.example:22/", "port 22 is not allowed"),
    ("http://shop.example:99999/", "port is not a number"),
    ("http://127.0.0.1:80/", "loopback"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED_LITERALS)
async def test_a_refused_url_is_refused_before_any_lookup_or_connection(
    url: str, reason: str
) -> None:
    fetcher, transport, resolver, _ = make_fetcher(never)
    with pytest.raises(BlockedUrl) as refused:
        await fetcher.fetch(url)
    assert reason in refused.value.message
    assert transport.requests == []
    assert resolver.calls == []


BAD_ANSWERS = [
    (["127.0.0.1"], "loopback"),
    (["10.1.2.3"], "private"),
    (["169.254.169.254"], "metadata"),
    (["100.100.100.200"], "metadata"),
    (["::1"], "loopback"),
    (["fd00:ec2::254"], "metadata"),
    (["::ffff:192.168.0.1"], "IPv4-mapped form of 192.168.0.1"),
    (["64:ff9b::7f00:1"], "NAT64"),
    (["2002:c0a8:1::1"], "embedding 192.168.0.1"),
    ([PUBLIC_IP, "10.0.0.5"], "private"),  # one bad address is enough
    (["2606:4700::1111", "fe80::1"], "link-local"),
    ([], "resolves to no address"),
]


@pytest.mark.parametrize(("addresses", "reason"), BAD_ANSWERS)
async def test_a_name_resolving_to_any_refused_address_is_refused_before_connecting(
    addresses: list[str], reason: str
) -> None:
    fetcher, transport, resolver, _ = make_fetcher(never, {"shop.example": addresses})
    with pytest.raises(BlockedUrl) as refused:
        await fetcher.fetch("https://shop.example/products/mug")
    assert reason in refused.value.message
    assert "'shop.example' resolves to" in refused.value.message or not addresses
    assert resolver.calls == ["shop.example"]
    assert transport.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "https://www.amazon.co.uk/dp/B004SNMXRS",
        "http://8.8.8.8/",
        "https://[2606:4700::1111]/x",
        "HTTPS://Shop.Example/Products/Mug?x=1#frag",
        "https://b\u00fccher.example/caf\u00e9",
    ],
)
def test_public_urls_pass_the_url_rules(url: str) -> None:
    target = parse_url(url)
    assert target.scheme in {"https", "http"}
    assert "#" not in target.url
    assert target.url.isascii()


def test_names_are_idna_encoded_and_non_ascii_paths_percent_encoded() -> None:
    target = parse_url("https://b\u00fccher.example/caf\u00e9?q=\u00e9")
    assert target.host == "xn--bcher-kva.example"
    assert target.url == "https://xn--bcher-kva.example/caf%C3%A9?q=%C3%A9"


def test_other_ports_can_be_allowed_explicitly() -> None:
    target = parse_url("https://shop.example:8443/x", allowed_ports=frozenset({443, 8443}))
    assert target.authority == "shop.example:8443"
    assert target.url == "https://shop.example:8443/x"
