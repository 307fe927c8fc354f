"""Which URLs and addresses a scraper may reach (product-pages.md §7: the SSRF rules).

A user-supplied URL is parsed once (`parse_url`) into a `Target`; its host name is vetted here
and every address it resolves to is vetted with `check_address` before any connection is made.
Anything refused raises `BlockedUrl` with a message that says why.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import SplitResult, quote, urlsplit

import attrs

from afp_core.domain.errors import BlockedUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = frozenset({80, 443})
_SCHEME_PORT = {"http": 80, "https": 443}

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Checked in order, so the most specific reason comes first. `is_global` is checked as well,
# so this table is about clear messages and about ranges Python considers global.
_BLOCKED_NETWORKS: tuple[tuple[_V4 | _V6, str], ...] = (
    (_V4("169.254.169.254/32"), "a cloud metadata endpoint"),
    (_V4("100.100.100.200/32"), "a cloud metadata endpoint"),
    (_V6("fd00:ec2::254/128"), "a cloud metadata endpoint"),
    (_V4("0.0.0.0/8"), "the 'this network' range"),
    (_V4("10.0.0.0/8"), "a private network"),
    (_V4("100.64.0.0/10"), "carrier-grade NAT space"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("172.16.0.0/12"), "a private network"),
    (_V4("192.0.0.0/24"), "IETF protocol space"),
    (_V4("192.0.2.0/24"), "a documentation network"),
    (_V4("192.88.99.0/24"), "the 6to4 relay range"),
    (_V4("192.168.0.0/16"), "a private network"),
    (_V4("198.18.0.0/15"), "the benchmarking range"),
    (_V4("198.51.100.0/24"), "a documentation network"),
    (_V4("203.0.113.0/24"), "a documentation network"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved space"),
    (_V6("::/128"), "the unspecified address"),
    (_V6("::1/128"), "loopback"),
    (_V6("::/96"), "an IPv4-compatible address"),
    (_V6("64:ff9b::/96"), "NAT64 (it reaches IPv4 hosts)"),
    (_V6("64:ff9b:1::/48"), "local-use NAT64 (it reaches IPv4 hosts)"),
    (_V6("100::/64"), "the discard range"),
    (_V6("2001::/32"), "Teredo (it reaches IPv4 hosts)"),
    (_V6("2001:db8::/32"), "a documentation network"),
    (_V6("3fff::/20"), "a documentation network"),
    (_V6("2002::/16"), "6to4 (it reaches IPv4 hosts)"),
    (_V6("fc00::/7"), "a private (unique local) network"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local"),
    (_V6("ff00::/8"), "multicast"),
)

_BLOCKED_NAMES = frozenset(
    {"localhost", "metadata", "metadata.google.internal", "metadata.goog", "instance-data"}
)
_BLOCKED_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa", ".arpa")
_HOST_CHARS = re.compile(r"^[a-z0-9._-]+$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_FORBIDDEN_IN_URL = re.compile(r"[\s\\\x00-\x1f\x7f]")
_MAX_NAME = 253  # RFC 1035: a name of at most 253 characters, labels of at most 63
_MAX_LABEL = 63
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"  # reserved and unreserved: only other bytes get %-encoded


@attrs.frozen
class Target:
    """One vetted URL, split the single way every later step uses.

    `host` is lower-case ASCII (IDNA-encoded); `ip` is set when the host is an address literal;
    `url` is the normalised URL (no fragment) that redirects are resolved against.
    """

    scheme: str
    host: str
    port: int
    path: str
    query: str
    ip: IPAddress | None = None

    @property
    def default_port(self) -> bool:
        return _SCHEME_PORT[self.scheme] == self.port

    @property
    def authority(self) -> str:
        """The `Host` header value: the name (or bracketed address) and a non-default port."""
        host = f"[{self.host}]" if isinstance(self.ip, ipaddress.IPv6Address) else self.host
        return host if self.default_port else f"{host}:{self.port}"

    @property
    def request_target(self) -> str:
        """Path and query as sent on the request line."""
        return (self.path or "/") + (f"?{self.query}" if self.query else "")

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.request_target}"


def address_problem(ip: IPAddress) -> str | None:
    """Why `ip` may not be connected to, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped
        if mapped is not None:
            inner = address_problem(mapped)
            return f"an IPv4-mapped form of {mapped} ({inner})" if inner else None
        if ip.scope_id:
            return "an address with a scope (link-local)"
    for network, reason in _BLOCKED_NETWORKS:
        if ip.version == network.version and ip in network:
            embedded = _embedded_ipv4(ip)
            return f"{reason}, embedding {embedded}" if embedded else reason
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "not a public address"
    return None


def check_address(ip: IPAddress, *, host: str) -> None:
    """Raise `BlockedUrl` unless `ip` (what `host` resolved to) is a public unicast address."""
    problem = address_problem(ip)
    if problem is not None:
        shown = f"{host!r} resolves to {ip}" if host != str(ip) else f"{ip}"
        raise BlockedUrl(f"refused to fetch: {shown}, which is {problem}")


def check_addresses(ips: Iterable[IPAddress], *, host: str) -> list[IPAddress]:
    """Vet every address a name resolved to: one bad address refuses the whole name."""
    found = list(dict.fromkeys(ips))
    if not found:
        raise BlockedUrl(f"refused to fetch: {host!r} resolves to no address")
    for ip in found:
        check_address(ip, host=host)
    return found


def parse_url(url: str, *, allowed_ports: frozenset[int] = DEFAULT_PORTS) -> Target:
    """Parse and vet a URL's scheme, authority and host name (addresses are vetted later,
    once resolved). Raises `BlockedUrl` with the reason."""
    if not isinstance(url, str) or not url.strip():
        raise BlockedUrl("refused to fetch: empty URL")
    url = url.strip()
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:
        raise BlockedUrl(
            "refused to fetch: the URL contains characters that are not valid Unicode "
            "(lone surrogates)"
        ) from None
    if _FORBIDDEN_IN_URL.search(url):
        raise BlockedUrl("refused to fetch: the URL contains spaces, backslashes or control bytes")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise BlockedUrl(f"refused to fetch: not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEME_PORT:
        raise BlockedUrl(f"only http(s) URLs with a host can be fetched: {url!r}")
    if not parts.netloc:
        raise BlockedUrl(f"only http(s) URLs with a host can be fetched: {url!r}")
    if "@" in parts.netloc:
        raise BlockedUrl("refused to fetch: URLs with a user name or password are not allowed")
    port = _port(parts, scheme, allowed_ports)
    host, ip = _host(parts)
    if ip is not None:
        check_address(ip, host=host)
    path, query = quote(parts.path, safe=_URL_SAFE), quote(parts.query, safe=_URL_SAFE)
    return Target(scheme, host, port, path, query, ip)


def _port(parts: SplitResult, scheme: str, allowed_ports: frozenset[int]) -> int:
    try:
        explicit = parts.port
    except ValueError:
        raise BlockedUrl("refused to fetch: the port is not a number from 1 to 65535") from None
    port = _SCHEME_PORT[scheme] if explicit is None else explicit
    if port not in allowed_ports:
        allowed = ", ".join(str(p) for p in sorted(allowed_ports))
        raise BlockedUrl(f"refused to fetch: port {port} is not allowed (only {allowed})")
    return port


def _host(parts: SplitResult) -> tuple[str, IPAddress | None]:
    raw = parts.hostname or ""
    if not raw:
        raise BlockedUrl("refused to fetch: the URL has no host")
    if parts.netloc.split(":")[0].startswith("[") or ":" in raw:
        return _ipv6_literal(raw)
    if "%" in raw:
        raise BlockedUrl("refused to fetch: percent-encoded host names are not allowed")
    try:
        host = raw.encode("idna").decode("ascii").lower() if not raw.isascii() else raw.lower()
    except UnicodeError:
        raise BlockedUrl(f"refused to fetch: {raw!r} is not a valid host name") from None
    if host.endswith("."):
        raise BlockedUrl(f"refused to fetch: host names ending in a dot are not allowed ({host!r})")
    if not _HOST_CHARS.match(host) or ".." in host or host.startswith("."):
        raise BlockedUrl(f"refused to fetch: {raw!r} is not a valid host name")
    labels = host.split(".")
    if len(host) > _MAX_NAME or any(len(label) > _MAX_LABEL for label in labels):
        shown = host if len(host) <= 80 else host[:80] + "..."
        raise BlockedUrl(
            f"refused to fetch: {shown!r} is not a valid host name (a DNS name has at "
            f"most {_MAX_NAME} characters, {_MAX_LABEL} between dots)"
        )
    if _NUMERIC_LABEL.match(labels[-1]):
        return _ipv4_literal(host, labels)
    if host in _BLOCKED_NAMES or host.endswith(_BLOCKED_SUFFIXES):
        raise BlockedUrl(f"refused to fetch: {host!r} names a local or internal host")
    if len(labels) < 2:
        raise BlockedUrl(f"refused to fetch: {host!r} is not a public host name (no domain)")
    return host, None


def _ipv6_literal(raw: str) -> tuple[str, IPAddress]:
    try:
        ip = ipaddress.IPv6Address(raw)
    except ValueError:
        raise BlockedUrl(f"refused to fetch: {raw!r} is not a valid IPv6 address") from None
    return str(ip), ip


def _ipv4_literal(host: str, labels: list[str]) -> tuple[str, IPAddress]:
    """A host whose last label is numeric is an IPv4 address (WHATWG URL). Only the plain
    dotted-quad spelling is accepted; decimal, octal, hex and short forms are refused, naming
    the address they stand for."""
    try:
        ip = ipaddress.IPv4Address(host)
    except ValueError:
        decoded = _lenient_ipv4(labels)
        if decoded is None:
            raise BlockedUrl(f"refused to fetch: {host!r} is not a valid host") from None
        raise BlockedUrl(
            f"refused to fetch: {host!r} is an unusual spelling of the address {decoded}; "
            "write addresses as four decimal numbers"
        ) from None
    return str(ip), ip


def _lenient_ipv4(labels: list[str]) -> ipaddress.IPv4Address | None:
    """What inet_aton (and so the system resolver) would make of the labels, if anything."""
    if not 1 <= len(labels) <= 4:
        return None
    numbers: list[int] = []
    for label in labels:
        if not _NUMERIC_LABEL.match(label) or label == "0x":
            return None
        if label.startswith("0x"):
            numbers.append(int(label[2:], 16))
        elif len(label) > 1 and label.startswith("0"):
            if any(c in "89" for c in label):
                return None
            numbers.append(int(label, 8))
        else:
            numbers.append(int(label))
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _V6("64:ff9b::/96") or ip in _V6("::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


__all__ = [
    "DEFAULT_PORTS",
    "IPAddress",
    "Target",
    "address_problem",
    "check_address",
    "check_addresses",
    "parse_url",
]
