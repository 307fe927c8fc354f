"""`SafeFetcher`: GET a user-supplied URL without becoming an SSRF proxy (product-pages.md §7).

Every hop: parse and vet the URL (`addresses.parse_url`), resolve the host once, vet every
address, then connect to a vetted address with the original `Host` header and TLS SNI, so a
later DNS answer is never used. Redirects are followed by hand (at most five, each re-vetted);
the body is streamed under a size cap and the whole fetch under a deadline; the content type is
checked; 5xx, 429, timeouts and dropped connections are retried a few times with jittered
backoff.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import json
import re
import socket
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, Protocol
from urllib.parse import urljoin

import attrs
import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
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
from afp_core.domain.errors import BlockedUrl, ProviderUnavailable, ValidationFailed

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
            return json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"{self.url} did not answer valid JSON ({exc.msg})") from None


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
        `ValidationFailed` (the host does not exist)."""
        target = parse_url(url, allowed_ports=self._policy.allowed_ports)
        try:
            async with asyncio.timeout(self._policy.deadline):
                return await self._with_retries(target, expect, headers or {}, allow_hop)
        except TimeoutError:
            raise ProviderUnavailable(
                f"{target.host} did not answer within {self._policy.deadline:g} s"
            ) from None

    async def locate(
        self,
        url: str,
        *,
        stop_at: Callable[[str], bool],
        allow_hop: Callable[[str], bool] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Follow `url`'s redirects (vetted like `fetch`) until a URL for which `stop_at` is
        true, which is returned without being requested; or the first non-redirect URL."""
        target = parse_url(url, allowed_ports=self._policy.allowed_ports)
        try:
            async with asyncio.timeout(self._policy.deadline):
                final, response = await self._walk(
                    target, "html", headers or {}, allow_hop, stop_at
                )
                if response is not None:
                    await response.aclose()
                return final.url
        except TimeoutError:
            raise ProviderUnavailable(
                f"{target.host} did not answer within {self._policy.deadline:g} s"
            ) from None
        except _RETRYABLE as exc:
            raise ProviderUnavailable(f"{target.host} did not answer: {_describe(exc)}") from None

    async def _with_retries(
        self,
        target: Target,
        expect: Expect,
        headers: Mapping[str, str],
        allow_hop: Callable[[str], bool] | None,
    ) -> FetchedPage:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._policy.attempts),
            wait=wait_random_exponential(
                multiplier=self._policy.backoff, max=self._policy.backoff_max
            ),
            retry=retry_if_exception_type((*_RETRYABLE, _RetryableStatus)),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._fetch_once(target, expect, headers, allow_hop)
        except _RetryableStatus as exc:
            return exc.page
        except _RETRYABLE as exc:
            raise ProviderUnavailable(f"{target.host} did not answer: {_describe(exc)}") from None
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"fetching {target.host} failed: {_describe(exc)}") from None
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
            location = response.headers.get("location")
            if response.status_code not in _REDIRECTS or not location:
                return target, response
            await response.aclose()
            following = parse_url(
                urljoin(target.url, location.strip()), allowed_ports=self._policy.allowed_ports
            )
            if allow_hop is not None and not allow_hop(following.host):
                raise BlockedUrl(
                    f"refused to fetch: {target.host} redirects to {following.host}, "
                    "which is not allowed here"
                )
            target = following
        raise BlockedUrl(f"refused to fetch: more than {self._policy.max_redirects} redirects")

    async def _send(
        self, target: Target, expect: Expect, headers: Mapping[str, str]
    ) -> httpx.Response:
        ip = (await self._vetted_addresses(target))[0]
        pinned = httpx.URL(
            scheme=target.scheme,
            host=str(ip),
            port=None if target.default_port else target.port,
            raw_path=target.request_target.encode("ascii", errors="strict"),
        )
        merged = {**BROWSER_HEADERS, "Accept": _ACCEPT[expect], **headers}
        merged["Host"] = target.authority
        extensions: dict[str, Any] = {}
        if target.scheme == "https" and target.ip is None:
            extensions["sni_hostname"] = target.host
        request = self._client.build_request("GET", pinned, headers=merged, extensions=extensions)
        try:
            return await self._client.send(request, stream=True, follow_redirects=False)
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
            body = await self._capped_body(response) if wanted else b""
        finally:
            await response.aclose()
        return FetchedPage(target.url, response.status_code, media_type, charset, body, redirects)

    async def _capped_body(self, response: httpx.Response) -> bytes:
        cap = self._policy.max_bytes
        too_big = BlockedUrl(f"refused to fetch: the page is larger than {_size(cap)}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise too_big
        body = bytearray()
        async for chunk in response.aiter_bytes():  # decoded bytes: the cap holds after gzip
            body += chunk
            if len(body) > cap:
                raise too_big
        return bytes(body)


def decode_body(body: bytes, charset: str | None) -> str:
    """Decode with the header's charset, else a `<meta>` charset, else a BOM, else UTF-8."""
    for candidate in (charset, _meta_charset(body)):
        if candidate and _known_codec(candidate):
            return body.decode(candidate, errors="replace")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", errors="replace")
    return body.decode("utf-8-sig", errors="replace")


def _meta_charset(body: bytes) -> str | None:
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else None


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


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
