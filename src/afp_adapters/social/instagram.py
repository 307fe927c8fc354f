"""`InstagramPublisher`: the `SocialPublisher` port on the Instagram API with Instagram Login
(`graph.instagram.com`, professional accounts without a Facebook Page), publishing Reels.
Reference: `docs/providers/instagram.md`.

References (`begin_publish` / `advance_publish`):

* `<container id>` — Meta is fetching the video from `request.video.url`. Each step reads the
  container's `status_code`; once it is FINISHED the same step calls `media_publish`, the one
  irreversible call (a dropped answer is `ProviderOutcomeUnknown`). Calling `advance_publish`
  again after that is safe: it reads the container first, and a PUBLISHED container is success,
  never a second publish.
* `media:<id>` — published; the step only reads the permalink.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from afp_adapters.social._http import (
    DEFAULT_TIMEOUT,
    BearerAuth,
    SocialHttp,
    as_dict,
    expires_at,
    read_json,
    split_scopes,
    text_of,
    trim_chars,
    utc_now,
)
from afp_core.domain.errors import (
    DomainError,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    ReconnectRequired,
    ValidationFailed,
)
from afp_core.domain.social import OAuthTokens, SocialProvider
from afp_core.ports.social import PublishRequest, PublishState, PublishStatus

DEFAULT_AUTH_URL = "https://www.instagram.com/oauth/authorize"
DEFAULT_TOKEN_URL = "https://api.instagram.com/oauth/access_token"  # noqa: S105 - a URL
DEFAULT_GRAPH_URL = "https://graph.instagram.com"
DEFAULT_API_VERSION = "v25.0"
LONG_LIVED_LIFETIME = timedelta(seconds=5183944)  # ≈ 60 days (doc § 2.4)
MIN_REFRESH_AGE = timedelta(hours=24)  # Instagram refuses to refresh younger tokens (doc § 2.5)
DEFAULT_REFRESH_WINDOW = timedelta(days=7)
CAPTION_LIMIT = 2200
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
MEDIA_PREFIX = "media:"
_TAG_OR_MENTION = re.compile(r"(?<![\w#@])[#@][\w.]+")

_RECONNECT_CODES = (102, 190)
_RECONNECT_SUBCODES = (458, 459, 460, 463, 464, 467)
_THROTTLE_CODES = (4, 17, 32, 613)
_TRANSIENT_CODES = (1, 2, -1, 24)
_NOT_READY = (9007, 2207027)


class InstagramPublisher:
    """Implements `SocialPublisher` for Instagram Reels (Instagram Login).

    PKCE: Instagram Login documents none, so `code_challenge` is ignored (the verifier too).
    Tokens: the code gives a 1-hour token that is at once exchanged for a 60-day long-lived one;
    there is no refresh token: `refresh` renews the long-lived token itself, which Instagram
    allows once it is 24 h old and not yet expired; `refresh_due` says so when less than
    `refresh_window` is left. Revoke: Instagram Login has no revoke endpoint, so `revoke` does
    nothing (the user removes the app in Instagram's settings).
    """

    provider = SocialProvider.INSTAGRAM
    required_scopes = frozenset({"instagram_business_basic", "instagram_business_content_publish"})

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        transport: httpx.AsyncBaseTransport | None = None,
        auth_url: str = DEFAULT_AUTH_URL,
        token_url: str = DEFAULT_TOKEN_URL,
        graph_url: str = DEFAULT_GRAPH_URL,
        api_version: str = DEFAULT_API_VERSION,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        refresh_window: timedelta = DEFAULT_REFRESH_WINDOW,
        share_to_feed: bool = True,
        send_ai_flag: bool = True,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        if not app_id or not app_secret:
            raise ValueError("the Instagram app id and secret are required")
        self._app_id = app_id
        self._app_secret = app_secret
        self._http = SocialHttp("Instagram", transport=transport, timeout=timeout)
        self._auth_url = auth_url
        self._token_url = token_url
        self._graph = graph_url.rstrip("/")
        self._api = f"{self._graph}/{api_version.strip('/')}"
        self._refresh_window = refresh_window
        self._share_to_feed = share_to_feed
        self._send_ai_flag = send_ai_flag
        self._now = now

    def __repr__(self) -> str:
        return f"<InstagramPublisher app_id={self._app_id!r}>"

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ OAuth

    def authorization_url(
        self,
        *,
        state: str,
        code_challenge: str,  # noqa: ARG002 - Instagram Login has no PKCE
        redirect_uri: str,
    ) -> str:
        params = {
            "client_id": self._app_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": ",".join(sorted(self.required_scopes)),
            "state": state,
        }
        return f"{self._auth_url}?{urlencode(params)}"

    async def exchange_code(
        self,
        *,
        code: str,
        code_verifier: str,  # noqa: ARG002 - Instagram Login has no PKCE
        redirect_uri: str,
    ) -> OAuthTokens:
        action = "exchange the authorisation code"
        response = await self._http.send(
            "POST",
            self._token_url,
            action=action,
            data={
                "client_id": self._app_id,
                "client_secret": self._app_secret,
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
                "code": code.removesuffix("#_"),
            },
        )
        short = _first(read_json(response))
        if not response.is_success or not isinstance(short.get("access_token"), str):
            raise graph_error(response, action=action)
        long_lived = await self._token_get(
            f"{self._graph}/access_token",
            {
                "grant_type": "ig_exchange_token",
                "client_secret": self._app_secret,
                "access_token": short["access_token"],
            },
            action="get a long-lived token",
        )
        access = long_lived["access_token"]
        me = await self._me(access)
        account_id = _id(me.get("user_id")) or _id(me.get("id")) or _id(short.get("user_id"))
        return OAuthTokens(
            access_token=access,
            refresh_token=None,
            expires_at=expires_at(self._now(), long_lived.get("expires_in")),
            scopes=split_scopes(short.get("permissions")),
            account_id=account_id,
            account_name=text_of(me.get("username")) or text_of(me.get("name")),
        )

    def refresh_due(self, tokens: OAuthTokens, now: datetime) -> bool:
        if tokens.expires_at is None:
            return False
        left = tokens.expires_at - now
        old_enough = left <= LONG_LIVED_LIFETIME - MIN_REFRESH_AGE  # issued ≥ 24 h ago
        return old_enough and left <= self._refresh_window

    async def refresh(self, tokens: OAuthTokens) -> OAuthTokens:
        if tokens.expires_at is not None and tokens.expires_at <= self._now():
            raise ReconnectRequired(
                "the Instagram token expired (it lives 60 days unless refreshed); connect again"
            )
        body = await self._token_get(
            f"{self._graph}/refresh_access_token",
            {"grant_type": "ig_refresh_token", "access_token": tokens.access_token},
            action="refresh the access token",
            refreshing=True,
        )
        return OAuthTokens(
            access_token=body["access_token"],
            refresh_token=None,
            expires_at=expires_at(self._now(), body.get("expires_in")),
            scopes=tokens.scopes,
            account_id=tokens.account_id,
            account_name=tokens.account_name,
        )

    async def revoke(self, tokens: OAuthTokens) -> None:
        """Instagram Login has no revoke endpoint (doc § 3): nothing to call."""

    # ------------------------------------------------------------------ publishing

    async def begin_publish(self, tokens: OAuthTokens, request: PublishRequest) -> str:
        if not tokens.account_id:
            raise ValidationFailed("the Instagram connection has no account id; connect again")
        if not request.video.url.startswith("https://"):
            raise ValidationFailed("Instagram fetches videos from public https URLs only")
        form = {
            "media_type": "REELS",
            "video_url": request.video.url,
            "caption": instagram_caption(request.caption),
            "share_to_feed": "true" if self._share_to_feed else "false",
        }
        if request.ai_disclosure and self._send_ai_flag:
            form["is_ai_generated"] = "true"
        action = "create the Reel container"
        # A container publishes nothing by itself and expires in 24 h: repeating it is safe.
        response = await self._http.send(
            "POST",
            f"{self._api}/{tokens.account_id}/media",
            action=action,
            data=form,
            auth=BearerAuth(tokens.access_token),
        )
        body = read_json(response) or {}
        container = _id(body.get("id"))
        if not response.is_success or not container:
            raise graph_error(response, action=action)
        return container

    async def advance_publish(
        self,
        tokens: OAuthTokens,
        ref: str,
        request: PublishRequest,  # noqa: ARG002 - Meta already fetched the video
    ) -> PublishStatus:
        if ref.startswith(MEDIA_PREFIX):
            media_id = ref.removeprefix(MEDIA_PREFIX)
            try:
                permalink = await self._permalink(tokens, media_id)
            except ProviderUnavailable:
                raise
            except DomainError:
                permalink = None  # the Reel is live; the link is cosmetic
            return PublishStatus(PublishState.PUBLISHED, media_id, permalink)
        container = ref.strip()
        if not container or "/" in container:
            raise ValidationFailed("not an Instagram publish reference")
        data = await self._get(
            f"{self._api}/{container}",
            tokens,
            {"fields": "status_code,status"},
            action="read the Reel container",
        )
        status_code = data.get("status_code")
        if status_code == "FINISHED":
            return await self._publish(tokens, container)
        if status_code == "PUBLISHED":  # a publish whose answer was lost: done, never again
            return PublishStatus(PublishState.PUBLISHED, container)
        if status_code == "ERROR":
            said = text_of(data.get("status")) or "no details"
            return _failed(f"Instagram could not process the video ({said})")
        if status_code == "EXPIRED":
            return _failed("the Instagram container expired (24 h) before it was published")
        return PublishStatus(PublishState.PROCESSING)

    # ------------------------------------------------------------------ steps

    async def _publish(self, tokens: OAuthTokens, container: str) -> PublishStatus:
        action = "publish the Reel"
        response = await self._http.send(
            "POST",
            f"{self._api}/{tokens.account_id}/media_publish",
            action=action,
            creates=True,
            data={"creation_id": container},
            auth=BearerAuth(tokens.access_token),
        )
        body = read_json(response) or {}
        media_id = _id(body.get("id"))
        if response.is_success and media_id:
            ref = f"{MEDIA_PREFIX}{media_id}"
            try:
                permalink = await self._permalink(tokens, media_id)
            except DomainError:
                return PublishStatus(PublishState.PROCESSING, ref=ref)  # the next step reads it
            return PublishStatus(PublishState.PUBLISHED, media_id, permalink, ref=ref)
        if response.is_success:
            raise ProviderOutcomeUnknown(
                "Instagram answered media_publish without a media id; the Reel may be live"
            )
        code, subcode = _codes(body)
        if code in _NOT_READY or subcode in _NOT_READY:
            return PublishStatus(PublishState.PROCESSING)
        raise graph_error(response, action=action, creates=True)

    async def _permalink(self, tokens: OAuthTokens, media_id: str) -> str | None:
        data = await self._get(
            f"{self._api}/{media_id}", tokens, {"fields": "permalink"}, action="read the permalink"
        )
        link = text_of(data.get("permalink"), 500)
        return link or None

    # ------------------------------------------------------------------ calls

    async def _me(self, access_token: str) -> dict[str, Any]:
        response = await self._http.send(
            "GET",
            f"{self._api}/me",
            action="read the account",
            params={"fields": "user_id,username,name"},
            auth=BearerAuth(access_token),
        )
        if not response.is_success:
            raise graph_error(response, action="read the account")
        return _first(read_json(response))

    async def _get(
        self, url: str, tokens: OAuthTokens, params: dict[str, str], *, action: str
    ) -> dict[str, Any]:
        response = await self._http.send(
            "GET", url, action=action, params=params, auth=BearerAuth(tokens.access_token)
        )
        body = read_json(response)
        if not response.is_success or body is None:
            raise graph_error(response, action=action)
        return body

    async def _token_get(
        self, url: str, params: dict[str, str], *, action: str, refreshing: bool = False
    ) -> dict[str, Any]:
        """The token endpoints take the token in the query string (doc § 2.4 / 2.5)."""
        response = await self._http.send("GET", url, action=action, params=params)
        body = read_json(response) or {}
        if response.is_success and isinstance(body.get("access_token"), str):
            return body
        error = graph_error(response, action=action)
        if refreshing and isinstance(error, ProviderRejected):
            raise ReconnectRequired(f"{error.message}; connect Instagram again")
        raise error


def instagram_caption(caption: str) -> str:
    """At most 2200 characters, 30 hashtags and 20 @mentions (doc § 4): hashtags past the 30th
    are dropped, mentions past the 20th lose their `@`."""
    hashtags = mentions = 0

    def keep(match: re.Match[str]) -> str:
        nonlocal hashtags, mentions
        token = match.group(0)
        if token.startswith("#"):
            hashtags += 1
            return token if hashtags <= MAX_HASHTAGS else ""
        mentions += 1
        return token if mentions <= MAX_MENTIONS else token[1:]

    text = _TAG_OR_MENTION.sub(keep, caption)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return trim_chars(text, CAPTION_LIMIT)


def graph_error(response: httpx.Response, *, action: str, creates: bool = False) -> DomainError:
    """The domain error for a Graph API (or Instagram OAuth) error answer, decided on `code`
    and `error_subcode` (doc § 6)."""
    status = response.status_code
    body = read_json(response) or {}
    error = as_dict(body.get("error")) or body
    code, subcode = _codes(body)
    message = (
        text_of(error.get("error_user_msg"))
        or text_of(error.get("message"))
        or text_of(error.get("error_message"))
    )
    kind = text_of(error.get("type"), 40) or text_of(error.get("error_type"), 40)
    trace = text_of(error.get("fbtrace_id"), 60)
    label = f"{code}/{subcode}" if subcode is not None else str(code or f"HTTP {status}")
    said = f"Instagram could not {action} ({label}"
    said += f" {kind}" if kind else ""
    said += f": {message}" if message else ""
    said += f"; fbtrace_id {trace})" if trace else ")"
    if code in _RECONNECT_CODES or subcode in _RECONNECT_SUBCODES:
        return ReconnectRequired(f"{said}: the token is no longer valid; connect Instagram again")
    if code == 9 or subcode == 2207042:
        return ProviderUnavailable(
            f"{said}: the account reached Instagram's publishing cap (100 posts per rolling "
            "24 h); try again later"
        )
    if code in _THROTTLE_CODES or (code is not None and 80001 <= code <= 80014) or status == 429:
        return ProviderUnavailable(f"{said}: rate limited; try again later")
    unclear = status >= 500 or not body or error.get("is_transient") is True
    if unclear or code in _TRANSIENT_CODES or subcode in (2207006, 2207008):
        if creates:
            return ProviderOutcomeUnknown(
                f"{said}: the Reel may have been published, so read the container before "
                "publishing again"
            )
        return ProviderUnavailable(said)
    if code == 9004 or subcode == 2207052:
        return ProviderRejected(f"{said}: Instagram could not fetch the video URL (public https)")
    if code == 25 or subcode == 2207050:
        return ProviderRejected(
            f"{said}: the account is restricted; the user must fix it in the app"
        )
    return ProviderRejected(said)


def _codes(body: dict[str, Any]) -> tuple[int | None, int | None]:
    error = as_dict(body.get("error")) or body
    return _int(error.get("code")), _int(error.get("error_subcode"))


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _id(value: object) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    return text_of(value, 64)


def _first(body: dict[str, Any] | None) -> dict[str, Any]:
    """The object itself, or the first item of a `data[]` wrapper (doc § 2.3, § 2.6)."""
    if not body:
        return {}
    data = body.get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data[0]
    return body


def _failed(message: str) -> PublishStatus:
    return PublishStatus(PublishState.FAILED, error=message)


__all__ = ["InstagramPublisher", "graph_error", "instagram_caption"]
