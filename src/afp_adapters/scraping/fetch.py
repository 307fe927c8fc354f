"""`SafeFetcher`: GET a user-supplied URL without becoming an SSRF proxy (product-pages.md §7).

Every hop: parse and vet the URL (`addresses.parse_url`), resolve the host once, vet every
address, then connect to a vetted address with the original `Host` header and TLS SNI, so a
later DNS answer is never used. Redirects are followed by hand (at most five, each re-vetted);
the body is streamed under a size cap and the whole fetch under a deadline; the content type is
checked; 5xx, 429, timeouts and dropped connections are retried a few times with jittered
backoff (a certificate that does not verify is not retried).

The body is decompressed here, not by httpx: only identity, one gzip or one deflate layer is
accepted, and inflating stops as soon as the size cap is passed, so a small compressed bomb
never turns into a large allocation.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import re
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Literal, Protocol
from urllib.parse import urljoin, urlsplit

import attrs
import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from afp_adapters.scraping.addresses import (
    DEFAULT_PORTS,
    IPAddress,
    Target,
    check_addresses,
    parse_url,
)
from afp_adapters.scraping.decoding import decode_text, loads, text_codec
from afp_core.domain.errors import (
    BlockedUrl,
    DomainError,
    ProviderUnavailable,
    ScrapeBlocked,
    ValidationFailed,
)

Expect = Literal["html", "json"]

_MEDIA_TYPES: Mapping[Expect, frozenset[str]] = {
    "html": frozenset({"text/html", "application/xhtml+xml"}),
    "json": frozenset({"application/json"}),
}
_ACCEPT: Mapping[Expect, str] = {
    "html": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "json": "application/json,text/javascript;q=0.9,*/*;q=0.1",
}
BROWSER_HEADERS: Mapping[str, str] = {
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    ),
    "Accept-Language": "en-US,en;q=0.9",
    "Accept-Encoding": "gzip, deflate",  # no brotli/zstd: fewer decoders, bounded expansion
    "Upgrade-Insecure-Requests": "1",
}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SCHEMES = frozenset({"http", "https"})
_INFLATED = frozenset({"gzip", "x-gzip", "deflate"})
# httpx parses a redirect's Location itself, even when not following it, and raises its own
# errors on junk (`javascript:`, `http://[::1`): a response hook parks the header here, where
# only `_walk` reads it, through `parse_url`
_PARKED_LOCATION = "x-afp-location"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_NO_SUCH_NAME = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)


class Resolver(Protocol):
    async def resolve(self, host: str) -> list[IPAddress]:
        """Every address `host` resolves to (A and AAAA). `socket.gaierror` when it does not."""
        ...


class SystemResolver:
    """The operating system's resolver, through the running event loop."""

    async def resolve(self, host: str) -> list[IPAddress]:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, None, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
        found: list[IPAddress] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            address = str(sockaddr[0]).split("%", 1)[0]
            found.append(ipaddress.ip_address(address))
        return list(dict.fromkeys(found))


@attrs.frozen
class FetchPolicy:
    """Limits of one fetch. The deadline covers every hop, retry and byte of the body."""

    max_redirects: int = 5
    max_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    deadline: float = 45.0
    attempts: int = 3
    backoff: float = 0.5
    backoff_max: float = 4.0
    allowed_ports: frozenset[int] = DEFAULT_PORTS
    # one budget for a whole `HttpProductScraper.scrape()` (page, Shopify endpoints, short
    # link), below the composition root's own bound (providers.SCRAPE_TIMEOUT_S)
    scrape_deadline: float = 90.0


@attrs.frozen
class FetchedPage:
    """A final (non-redirect) response. `url` is the last URL asked for, with its host name."""

    url: str
    status: int
    media_type: str
    charset: str | None
    body: bytes
    redirects: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return decode_body(self.body, self.charset)

    def json(self) -> Any:
        try:
            return loads(self.text)
        except ValueError as exc:  # bad JSON, too deep, a number too long to convert
            reason = getattr(exc, "msg", None) or str(exc)
            raise ValidationFailed(f"{self.url} did not answer valid JSON ({reason})") from None


class _RetryableStatus(Exception):  # an internal signal that never leaves this module
    def __init__(self, page: FetchedPage) -> None:
        super().__init__(page.status)
        self.page = page


_RETRYABLE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
Sleep = Callable[[float], Awaitable[None]]


class SafeFetcher:
    """GET with the SSRF rules of product-pages.md §7. Inject `transport` (an
    `httpx.MockTransport` in tests), `resolver` and `sleep` (retry backoff) as needed."""

    def __init__(
        self,
        *,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: FetchPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._resolver: Resolver = resolver or SystemResolver()
        self._policy = policy or FetchPolicy()
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: we connect to vetted IPs only
            timeout=httpx.Timeout(self._policy.read_timeout, connect=self._policy.connect_timeout),
            # no pooled connections: a connection verified for one name is never reused for
            # another name served from the same address
            limits=httpx.Limits(max_keepalive_connections=0),
            event_hooks={"response": [_park_location]},
        )

    @property
    def policy(self) -> FetchPolicy:
        return self._policy

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        expect: Expect = "html",
        headers: Mapping[str, str] | None = None,
        allow_hop: Callable[[str], bool] | None = None,
    ) -> FetchedPage:
        """The final response to GET `url`, after vetted redirects. A 2xx answer must have the
        expected content type; other statuses come back as they are (5xx and 429 after the
        retries) with their body when it is HTML/JSON, for the caller to classify. Raises
        `BlockedUrl` (refused by the rules), `ProviderUnavailable` (no answer in time),
        `ValidationFailed` (the host does not exist), `ScrapeBlocked` (the shop's TLS
        certificate does not verify)."""
        target = parse_url(url, allowed_ports=self._policy.allowed_ports)
        wanted = headers or {}

        async def once() -> FetchedPage:
            return await self._fetch_once(target, expect, wanted, allow_hop)

        return await self._bounded(target, once)

    async def locate(
        self,
        url: str,
        *,
        stop_at: Callable[[str], bool],
        allow_hop: Callable[[str], bool] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Follow `url`'s redirects (vetted like `fetch`) until a URL for which `stop_at` is
        true, which is returned without being requested; or the first non-redirect URL. A
        final answer of 5xx or 429 is retried like `fetch`, then raises `ProviderUnavailable`;
        404/410 raise `ValidationFailed`; 401/403/451 raise `ScrapeBlocked`."""
        target = parse_url(url, allowed_ports=self._policy.allowed_ports)
        wanted = headers or {}

        async def once() -> FetchedPage:
            final, response = await self._walk(target, "html", wanted, allow_hop, stop_at)
            if response is None:
                return FetchedPage(final.url, 0, "", None, b"")  # stopped before asking
            await response.aclose()
            answer = FetchedPage(final.url, response.status_code, "", None, b"")
            if answer.status >= 500 or answer.status == 429:
                raise _RetryableStatus(answer)
            return answer

        found = await self._bounded(target, once)
        _raise_for_located_status(found)
        return found.url

    async def _bounded(
        self, target: Target, once: Callable[[], Awaitable[FetchedPage]]
    ) -> FetchedPage:
        """`once`, retried, every attempt within the one deadline."""
        try:
            async with asyncio.timeout(self._policy.deadline):
                return await self._with_retries(target, once)
        except TimeoutError:
            raise ProviderUnavailable(
                f"{target.host} did not answer within {self._policy.deadline:g} s"
            ) from None

    async def _with_retries(
        self, target: Target, once: Callable[[], Awaitable[FetchedPage]]
    ) -> FetchedPage:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._policy.attempts),
            wait=wait_random_exponential(
                multiplier=self._policy.backoff, max=self._policy.backoff_max
            ),
            retry=retry_if_exception(_worth_retrying),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await once()
        except _RetryableStatus as exc:
            return exc.page
        except httpx.HTTPError as exc:
            raise _transport_failure(target, exc) from None
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _fetch_once(
        self,
        target: Target,
        expect: Expect,
        headers: Mapping[str, str],
        allow_hop: Callable[[str], bool] | None,
    ) -> FetchedPage:
        final, response, redirects = await self._walk_recording(target, expect, headers, allow_hop)
        page = await self._read(final, response, expect, redirects)
        if page.status >= 500 or page.status == 429:
            raise _RetryableStatus(page)
        return page

    async def _walk_recording(
        self,
        target: Target,
        expect: Expect,
        headers: Mapping[str, str],
        allow_hop: Callable[[str], bool] | None,
    ) -> tuple[Target, httpx.Response, tuple[str, ...]]:
        visited: list[str] = []

        def record(url: str) -> bool:
            visited.append(url)
            return False

        final, response = await self._walk(target, expect, headers, allow_hop, record)
        assert response is not None  # noqa: S101 - `record` never stops the walk
        return final, response, tuple(visited[:-1])

    async def _walk(
        self,
        target: Target,
        expect: Expect,
        headers: Mapping[str, str],
        allow_hop: Callable[[str], bool] | None,
        stop_at: Callable[[str], bool] | None,
    ) -> tuple[Target, httpx.Response | None]:
        for _hop in range(self._policy.max_redirects + 1):
            if stop_at is not None and stop_at(target.url):
                return target, None
            response = await self._send(target, expect, headers)
            location = response.headers.get(_PARKED_LOCATION)
            if response.status_code not in _REDIRECTS or not location:
                return target, response
            await response.aclose()
            following = self._redirect_target(target, location)
            if allow_hop is not None and not allow_hop(following.host):
                raise BlockedUrl(
                    f"refused to fetch: {target.host} redirects to {following.host}, "
                    "which is not allowed here"
                )
            target = following
        raise BlockedUrl(f"refused to fetch: more than {self._policy.max_redirects} redirects")

    def _redirect_target(self, target: Target, location: str) -> Target:
        """The vetted URL a `Location` header points to, relative to `target`."""
        shown = location.strip()[:200]
        try:
            joined = urljoin(target.url, location.strip())
            parts = urlsplit(joined)
        except ValueError:
            parts = None
        if parts is None or parts.scheme.lower() not in _SCHEMES or not parts.netloc:
            raise BlockedUrl(
                f"refused to fetch: the redirect target {shown!r} is not a valid http(s) URL "
                "(only http(s) URLs with a host can be fetched)"
            )
        return parse_url(joined, allowed_ports=self._policy.allowed_ports)

    async def _send(
        self, target: Target, expect: Expect, headers: Mapping[str, str]
    ) -> httpx.Response:
        ip = (await self._vetted_addresses(target))[0]
        try:
            pinned = httpx.URL(
                scheme=target.scheme,
                host=str(ip),
                port=None if target.default_port else target.port,
                raw_path=target.request_target.encode("ascii", errors="strict"),
            )
        except (httpx.InvalidURL, UnicodeError):
            raise BlockedUrl(f"refused to fetch: {target.url!r} is not a valid URL") from None
        merged = {**BROWSER_HEADERS, "Accept": _ACCEPT[expect], **headers}
        merged["Host"] = target.authority
        extensions: dict[str, Any] = {}
        if target.scheme == "https" and target.ip is None:
            extensions["sni_hostname"] = target.host
        request = self._client.build_request("GET", pinned, headers=merged, extensions=extensions)
        try:
            return await self._client.send(request, stream=True, follow_redirects=False)
        except httpx.InvalidURL:  # not an HTTPError; nothing we build should get here
            raise BlockedUrl(f"refused to fetch: {target.url!r} is not a valid URL") from None
        finally:
            self._client.cookies.clear()  # never carry cookies from one host to another

    async def _vetted_addresses(self, target: Target) -> list[IPAddress]:
        if target.ip is not None:
            return [target.ip]  # already vetted by parse_url
        try:
            async with asyncio.timeout(self._policy.connect_timeout):
                found = await self._resolver.resolve(target.host)
        except TimeoutError:
            raise ProviderUnavailable(f"resolving {target.host} timed out") from None
        except socket.gaierror as exc:
            if exc.errno in _NO_SUCH_NAME:
                raise ValidationFailed(f"the host {target.host!r} does not exist") from None
            raise ProviderUnavailable(f"resolving {target.host} failed: {exc}") from None
        except UnicodeError:  # the resolver's IDNA step: a label over 63 characters...
            raise BlockedUrl(
                f"refused to fetch: {target.host!r} is not a valid host name"
            ) from None
        except (OSError, ValueError) as exc:
            raise ProviderUnavailable(f"resolving {target.host} failed: {_describe(exc)}") from None
        return check_addresses(found, host=target.host)

    async def _read(
        self,
        target: Target,
        response: httpx.Response,
        expect: Expect,
        redirects: tuple[str, ...],
    ) -> FetchedPage:
        try:
            media_type, charset = _content_type(response.headers.get("content-type", ""))
            wanted = media_type in _MEDIA_TYPES[expect]
            if response.is_success and not wanted:
                shown = media_type or "no content type"
                raise BlockedUrl(
                    f"refused to fetch: {target.host} answered {shown}, "
                    f"not {' or '.join(sorted(_MEDIA_TYPES[expect]))}"
                )
            body = await self._capped_body(target, response) if wanted else b""
        finally:
            await response.aclose()
        return FetchedPage(target.url, response.status_code, media_type, charset, body, redirects)

    async def _capped_body(self, target: Target, response: httpx.Response) -> bytes:
        """The body, decompressed here (never by httpx), refused as soon as it passes the cap."""
        cap = self._policy.max_bytes
        too_big = BlockedUrl(f"refused to fetch: the page is larger than {_size(cap)}")
        coding = _content_coding(target, response)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise too_big
        body = bytearray()
        inflater = _Inflater(target, coding) if coding else None
        async for chunk in _raw_chunks(response):  # raw bytes: the cap holds after inflating
            if inflater is None:
                body += chunk
            else:
                inflater.feed(chunk, body, cap)
            if len(body) > cap:
                raise too_big
        if inflater is not None:
            inflater.finish(body, cap)
            if len(body) > cap:
                raise too_big
        return bytes(body)


class _Inflater:
    """One gzip or deflate layer (zlib-wrapped or raw, as servers send both), inflated into a
    buffer that is never let grow more than one byte past the cap."""

    def __init__(self, target: Target, coding: str) -> None:
        self._target = target
        self._coding = coding
        self._head = b""  # the first bytes of a deflate body, until its format is known
        self._zlib: Any = zlib.decompressobj(wbits=47) if coding != "deflate" else None

    def feed(self, data: bytes, out: bytearray, cap: int) -> None:
        if self._zlib is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            wrapped = (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._zlib = zlib.decompressobj(wbits=15 if wrapped else -15)
        try:
            while data and not self._zlib.eof and len(out) <= cap:
                piece = self._zlib.decompress(data, cap + 1 - len(out))
                out += piece
                rest = self._zlib.unconsumed_tail
                if not piece and len(rest) == len(data):
                    break  # no progress: never spin
                data = rest
        except zlib.error:
            raise self._corrupt() from None

    def finish(self, out: bytearray, cap: int) -> None:
        if self._zlib is None:  # a deflate body of fewer than two bytes
            if not self._head:
                return
            self._zlib = zlib.decompressobj(wbits=-15)
            data, self._head = self._head, b""
            self.feed(data, out, cap)
        try:
            while not self._zlib.eof and len(out) <= cap:
                piece = self._zlib.decompress(b"", cap + 1 - len(out))
                if not piece:
                    break
                out += piece
        except zlib.error:
            raise self._corrupt() from None
        # a truncated stream is tolerated, like browsers do; what it held is kept

    def _corrupt(self) -> ProviderUnavailable:
        return ProviderUnavailable(
            f"{self._target.host} sent a corrupt {self._coding}-compressed body"
        )


def _content_coding(target: Target, response: httpx.Response) -> str | None:
    """The body's single compression layer (None for identity); anything else is refused."""
    listed = ",".join(response.headers.get_list("content-encoding"))
    codings = [c.strip().lower() for c in listed.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in _INFLATED:
        return codings[0]
    raise BlockedUrl(
        f"refused to fetch: {target.host} sent the page with Content-Encoding "
        f"{listed.strip()[:100]!r}; only identity, one gzip or one deflate is accepted"
    )


def _raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body as sent on the wire, never decoded by httpx. A response built from bytes in
    memory (`httpx.Response(content=...)`, as mock transports do) counts as already streamed:
    its in-memory stream holds the same raw bytes and can be iterated again."""
    stream = response.stream
    if response.is_stream_consumed and isinstance(stream, httpx.AsyncByteStream):
        return aiter(stream)
    return response.aiter_raw()


async def _park_location(response: httpx.Response) -> None:
    if "location" in response.headers:
        response.headers[_PARKED_LOCATION] = response.headers["location"]
        del response.headers["location"]


def _worth_retrying(exc: BaseException) -> bool:
    if isinstance(exc, _RetryableStatus):
        return True
    return isinstance(exc, _RETRYABLE) and not _certificate_failed(exc)


def _certificate_failed(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is a TLS certificate that did not verify."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _transport_failure(target: Target, exc: httpx.HTTPError) -> DomainError:
    if _certificate_failed(exc):
        return ScrapeBlocked(
            f"the shop's TLS certificate did not verify for {target.host} ({_describe(exc)[:200]})",
            next_steps="check that the URL is the shop's own address, or send the product's "
            "title, bullets and image URLs by hand",
        )
    if isinstance(exc, _RETRYABLE):
        return ProviderUnavailable(f"{target.host} did not answer: {_describe(exc)}")
    return ProviderUnavailable(f"fetching {target.host} failed: {_describe(exc)}")


def _raise_for_located_status(found: FetchedPage) -> None:
    """How a redirect walk that ended on an answer (not a stop) ended badly."""
    status = found.status
    if status >= 500 or status == 429:
        raise ProviderUnavailable(f"the shop answered HTTP {status} for {found.url}")
    if status in (404, 410):
        raise ValidationFailed(f"no product at this URL: {found.url} (HTTP {status})")
    if status in (401, 403, 451):
        raise ScrapeBlocked(f"the shop refused access to {found.url} (HTTP {status})")


def decode_body(body: bytes, charset: str | None) -> str:
    """Decode with the header's charset, else a `<meta>` charset, else a BOM, else UTF-8.
    Only text codecs are used; a charset that fails falls back to UTF-8. Never raises."""
    for candidate in (charset, _meta_charset(body)):
        codec = text_codec(candidate)
        if codec is not None:
            return decode_text(body, codec)
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_text(body, "utf-16")
    return decode_text(body, "utf-8-sig")


def _meta_charset(body: bytes) -> str | None:
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else None


def _content_type(value: str) -> tuple[str, str | None]:
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'") or None
    return media.strip().lower(), charset


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


__all__ = [
    "BROWSER_HEADERS",
    "FetchPolicy",
    "FetchedPage",
    "Resolver",
    "SafeFetcher",
    "SystemResolver",
    "decode_body",
]
