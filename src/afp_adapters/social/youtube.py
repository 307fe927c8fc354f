"""`YouTubePublisher`: the `SocialPublisher` port on Google OAuth + YouTube Data API v3 with the
resumable upload protocol. Reference: `docs/providers/youtube.md`.

References (`begin_publish` / `advance_publish`):

* the upload session URL (from `begin_publish`) — bytes still to send. Every step first asks the
  session what it holds (`PUT` with `Content-Range: bytes */SIZE`, doc § 3.4), then sends up to
  `chunks_per_step` chunks from there. An interrupted chunk (a dropped connection, a 5xx) raises
  `ProviderUnavailable`; the next step resumes from the server's offset. The session is never
  started again: the video exists only once its last byte lands, so a lost session (404 / 410)
  is a FAILED publish with nothing left behind.
* `video:<id>` — the upload finished; each step reads `videos.list` until YouTube processed it.

Shorts: there is no flag (doc § 5): a vertical or square video of at most 3 minutes becomes a
Short by itself, and `#Shorts` in the title switches nothing, so the title is not altered.
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
    DEFAULT_UPLOAD_TIMEOUT,
    BearerAuth,
    SocialHttp,
    as_dict,
    expires_at,
    expires_within,
    read_json,
    split_scopes,
    text_of,
    trim_bytes,
    trim_chars,
    utc_now,
)
from afp_core.domain.errors import (
    DomainError,
    ProviderRejected,
    ProviderUnavailable,
    ReconnectRequired,
    ValidationFailed,
)
from afp_core.domain.social import OAuthTokens, SocialProvider
from afp_core.ports.social import PublishRequest, PublishState, PublishStatus

DEFAULT_AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
DEFAULT_REVOKE_URL = "https://oauth2.googleapis.com/revoke"
DEFAULT_API_BASE_URL = "https://www.googleapis.com"
UPLOAD_SCOPE = "https://www.googleapis.com/auth/youtube.upload"
READONLY_SCOPE = "https://www.googleapis.com/auth/youtube.readonly"
_READ_SCOPES = frozenset(
    {
        READONLY_SCOPE,
        "https://www.googleapis.com/auth/youtube",
        "https://www.googleapis.com/auth/youtube.force-ssl",
    }
)
CHUNK_UNIT = 256 * 1024
DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024  # Postiz's choice (doc § 3.5)
TITLE_LIMIT = 100
DESCRIPTION_BYTES = 5000
PRIVACY_VALUES = ("private", "unlisted", "public")
REFRESH_MARGIN = timedelta(minutes=5)
SHORTS_URL = "https://youtube.com/shorts/"
VIDEO_PREFIX = "video:"
_RANGE = re.compile(r"bytes=(\d+)-(\d+)")
_TAG = re.compile(r"<[^>]*>")

_QUOTA = ("quotaExceeded", "dailyLimitExceeded")
_RATE = ("rateLimitExceeded", "userRateLimitExceeded")
_TRANSIENT = ("backendError", "internalError")
_AUTH = ("authError", "invalidCredentials", "unauthorized")


class YouTubePublisher:
    """Implements `SocialPublisher` for YouTube Shorts.

    OAuth asks for `youtube.upload` (the upload) and `youtube.readonly` (the channel's id and
    name, the processing status: `videos.list` refuses upload-only tokens, doc § 2.3), with PKCE
    S256, `access_type=offline` and, while `force_consent` (the default), `prompt=consent` so
    Google issues a refresh token on every connect (mind the 100-tokens-per-account ceiling,
    doc § 2.1). A refresh keeps the old refresh token when Google sends none.
    """

    provider = SocialProvider.YOUTUBE
    required_scopes = frozenset({UPLOAD_SCOPE, READONLY_SCOPE})

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        transport: httpx.AsyncBaseTransport | None = None,
        auth_url: str = DEFAULT_AUTH_URL,
        token_url: str = DEFAULT_TOKEN_URL,
        revoke_url: str = DEFAULT_REVOKE_URL,
        api_base_url: str = DEFAULT_API_BASE_URL,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        upload_timeout: httpx.Timeout | float = DEFAULT_UPLOAD_TIMEOUT,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        chunks_per_step: int = 4,
        notify_subscribers: bool = True,
        force_consent: bool = True,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("the Google client id and secret are required")
        if chunk_size <= 0 or chunk_size % CHUNK_UNIT:
            raise ValueError("YouTube chunks are a multiple of 256 KiB")
        if chunks_per_step < 1:
            raise ValueError("chunks_per_step must be at least 1")
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = SocialHttp("YouTube", transport=transport, timeout=timeout)
        self._auth_url = auth_url
        self._token_url = token_url
        self._revoke_url = revoke_url
        self._api = api_base_url.rstrip("/")
        self._upload_timeout = upload_timeout
        self._chunk_size = chunk_size
        self._chunks_per_step = chunks_per_step
        self._notify = notify_subscribers
        self._force_consent = force_consent
        self._now = now

    def __repr__(self) -> str:
        return f"<YouTubePublisher client_id={self._client_id!r}>"

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ OAuth

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        params = {
            "client_id": self._client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(sorted(self.required_scopes)),
            "access_type": "offline",
            "include_granted_scopes": "true",
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        if self._force_consent:
            params["prompt"] = "consent"
        return f"{self._auth_url}?{urlencode(params)}"

    async def exchange_code(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> OAuthTokens:
        body = await self._token_call(
            {
                "code": code,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "redirect_uri": redirect_uri,
                "grant_type": "authorization_code",
                "code_verifier": code_verifier,
            },
            action="exchange the authorisation code",
        )
        access = body["access_token"]
        scopes = split_scopes(body.get("scope"))
        channel_id, channel_name = "", ""
        if _READ_SCOPES & set(scopes):  # else the core refuses the grant for the missing scope
            channel_id, channel_name = await self._channel(access)
        return OAuthTokens(
            access_token=access,
            refresh_token=text_of(body.get("refresh_token"), 2000) or None,
            expires_at=expires_at(self._now(), body.get("expires_in")),
            scopes=scopes,
            account_id=channel_id,
            account_name=channel_name,
        )

    def refresh_due(self, tokens: OAuthTokens, now: datetime) -> bool:
        return expires_within(tokens.expires_at, now, REFRESH_MARGIN)

    async def refresh(self, tokens: OAuthTokens) -> OAuthTokens:
        if not tokens.refresh_token:
            raise ReconnectRequired("the YouTube connection has no refresh token; connect again")
        body = await self._token_call(
            {
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
            },
            action="refresh the access token",
            refreshing=True,
        )
        return OAuthTokens(
            access_token=body["access_token"],
            refresh_token=text_of(body.get("refresh_token"), 2000) or tokens.refresh_token,
            expires_at=expires_at(self._now(), body.get("expires_in")),
            scopes=split_scopes(body.get("scope")) or tokens.scopes,
            account_id=tokens.account_id,
            account_name=tokens.account_name,
        )

    async def revoke(self, tokens: OAuthTokens) -> None:
        """Revokes the refresh token (which ends the whole grant) or else the access token."""
        token = tokens.refresh_token or tokens.access_token
        response = await self._http.send(
            "POST", self._revoke_url, action="revoke the grant", data={"token": token}
        )
        if response.is_success:
            return
        body = read_json(response) or {}
        if body.get("error") in ("invalid_token", "invalid_grant"):
            return  # already revoked or expired: nothing left to revoke
        if response.status_code == 429 or response.status_code >= 500:
            raise ProviderUnavailable(
                f"Google could not revoke the grant (HTTP {response.status_code})"
            )
        raise ProviderRejected(f"Google refused to revoke the grant (HTTP {response.status_code})")

    # ------------------------------------------------------------------ publishing

    async def begin_publish(self, tokens: OAuthTokens, request: PublishRequest) -> str:
        size = request.video.size
        if size <= 0:
            raise ValidationFailed("the video is empty")
        resource = {
            "snippet": {
                "title": youtube_title(request.title, request.caption),
                "description": trim_bytes(_clean(request.caption), DESCRIPTION_BYTES),
            },
            "status": {
                "privacyStatus": _privacy(request.privacy),
                "selfDeclaredMadeForKids": False,
                "containsSyntheticMedia": request.ai_disclosure,
            },
        }
        query = {"uploadType": "resumable", "part": "snippet,status"}
        if not self._notify:
            query["notifySubscribers"] = "false"
        response = await self._http.send(
            "POST",
            f"{self._api}/upload/youtube/v3/videos",
            action="start the upload session",
            params=query,
            json=resource,
            headers={
                "Content-Type": "application/json; charset=UTF-8",
                "X-Upload-Content-Length": str(size),
                "X-Upload-Content-Type": request.video.content_type,
            },
            auth=BearerAuth(tokens.access_token),
        )
        if not response.is_success:
            raise google_error(response, action="start the upload session")
        location = str(response.headers.get("Location", ""))
        if not location.startswith("https://"):
            raise ProviderUnavailable("YouTube started no upload session (no Location header)")
        return location

    async def advance_publish(
        self, tokens: OAuthTokens, ref: str, request: PublishRequest
    ) -> PublishStatus:
        if ref.startswith(VIDEO_PREFIX):
            return await self._processing_status(tokens, ref.removeprefix(VIDEO_PREFIX))
        if not ref.startswith("https://"):
            raise ValidationFailed("not a YouTube publish reference")
        return await self._upload(tokens, ref, request)

    # ------------------------------------------------------------------ steps

    async def _upload(
        self, tokens: OAuthTokens, session: str, request: PublishRequest
    ) -> PublishStatus:
        size = request.video.size
        auth = BearerAuth(tokens.access_token)
        probe = await self._http.send(
            "PUT",
            session,
            action="ask the upload session for its progress",
            content=b"",
            headers={"Content-Range": f"bytes */{size}"},
            auth=auth,
        )
        outcome = self._session_answer(probe, action="ask the upload session for its progress")
        if isinstance(outcome, PublishStatus):
            return outcome
        offset = outcome
        for _ in range(self._chunks_per_step):
            length = min(self._chunk_size, size - offset)
            data = await request.video.read(offset, length)
            if len(data) != length:
                raise ValidationFailed(
                    f"the stored video gave {len(data)} bytes at {offset}, expected {length}"
                )
            last = offset + length - 1
            action = f"upload bytes {offset}-{last} of {size}"
            try:
                response = await self._http.send(
                    "PUT",
                    session,
                    action=action,
                    content=data,
                    headers={
                        "Content-Type": request.video.content_type,
                        "Content-Range": f"bytes {offset}-{last}/{size}",
                    },
                    auth=auth,
                    timeout=self._upload_timeout,
                )
            except ProviderUnavailable as exc:
                raise ProviderUnavailable(
                    f"{exc.message}; the next step resumes from the session's offset"
                ) from exc
            outcome = self._session_answer(response, action=action)
            if isinstance(outcome, PublishStatus):
                return outcome
            offset = outcome
            if offset >= size:  # all bytes held yet no video: ask again next step
                break
        return PublishStatus(PublishState.PROCESSING)

    def _session_answer(self, response: httpx.Response, *, action: str) -> int | PublishStatus:
        """The next offset (308), the finished upload (200 / 201) or a final answer."""
        status = response.status_code
        if status == 308:
            match = _RANGE.search(response.headers.get("Range", ""))
            return int(match.group(2)) + 1 if match else 0
        if status in (200, 201):
            body = read_json(response) or {}
            video_id = text_of(body.get("id"), 64)
            if not video_id:
                raise ProviderUnavailable("YouTube finished the upload without a video id")
            return PublishStatus(PublishState.PROCESSING, ref=f"{VIDEO_PREFIX}{video_id}")
        if status in (404, 410):
            return PublishStatus(
                PublishState.FAILED,
                error="the YouTube upload session expired before the video was complete; "
                "nothing was published, post again",
            )
        if status >= 500:
            raise ProviderUnavailable(
                f"YouTube could not {action} (HTTP {status}); the next step resumes from the "
                "session's offset"
            )
        raise google_error(response, action=action)

    async def _processing_status(self, tokens: OAuthTokens, video_id: str) -> PublishStatus:
        response = await self._http.send(
            "GET",
            f"{self._api}/youtube/v3/videos",
            action="read the video's processing status",
            params={"part": "status,processingDetails", "id": video_id},
            auth=BearerAuth(tokens.access_token),
        )
        if not response.is_success:
            raise google_error(response, action="read the video's processing status")
        items = (read_json(response) or {}).get("items")
        video = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
        status = as_dict(video.get("status"))
        details = video.get("processingDetails")
        processing = details.get("processingStatus") if isinstance(details, dict) else None
        upload = status.get("uploadStatus")
        if upload == "rejected":
            reason = text_of(status.get("rejectionReason")) or "unknown"
            return _failed(f"YouTube rejected the video ({reason})")
        if upload == "failed":
            reason = text_of(status.get("failureReason")) or "unknown"
            return _failed(f"YouTube could not process the video ({reason}); re-encode it")
        if upload == "deleted":
            return _failed("the video was deleted on YouTube")
        if processing in ("failed", "terminated"):
            return _failed(f"YouTube's processing {processing}")
        if upload == "processed" or processing == "succeeded":
            return PublishStatus(PublishState.PUBLISHED, video_id, f"{SHORTS_URL}{video_id}")
        return PublishStatus(PublishState.PROCESSING)

    # ------------------------------------------------------------------ calls

    async def _channel(self, access_token: str) -> tuple[str, str]:
        response = await self._http.send(
            "GET",
            f"{self._api}/youtube/v3/channels",
            action="read the channel",
            params={"part": "snippet", "mine": "true"},
            auth=BearerAuth(access_token),
        )
        if not response.is_success:
            raise google_error(response, action="read the channel")
        items = (read_json(response) or {}).get("items")
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            raise ProviderRejected("this Google account has no YouTube channel; create one first")
        channel = items[0]
        snippet = as_dict(channel.get("snippet"))
        return text_of(channel.get("id"), 64), text_of(snippet.get("title"), 200)

    async def _token_call(
        self, form: dict[str, str], *, action: str, refreshing: bool = False
    ) -> dict[str, Any]:
        response = await self._http.send("POST", self._token_url, action=action, data=form)
        body = read_json(response)
        if body and response.is_success and isinstance(body.get("access_token"), str):
            return body
        error = text_of(body.get("error")) if body else ""
        said = text_of(body.get("error_description")) if body else ""
        detail = f"{error or f'HTTP {response.status_code}'}: {said or 'no description'}"
        if response.status_code == 429 or response.status_code >= 500:
            raise ProviderUnavailable(f"Google could not {action} ({detail})")
        if refreshing and error in ("invalid_grant", "unauthorized_client"):
            raise ReconnectRequired(
                f"Google no longer accepts the refresh token ({detail}); connect YouTube again"
            )
        if not error:
            raise ProviderUnavailable(f"Google gave an unreadable answer when asked to {action}")
        raise ProviderRejected(f"Google refused to {action} ({detail})")


def youtube_title(title: str, caption: str) -> str:
    """The title (or the caption's first line) without `<` `>`, at most 100 characters."""
    for candidate in (title, caption.strip().split("\n", 1)[0] if caption.strip() else ""):
        cleaned = trim_chars(_clean(candidate), TITLE_LIMIT)
        if cleaned:
            return cleaned
    raise ValidationFailed("a YouTube video needs a title or a caption")


def google_error(response: httpx.Response, *, action: str) -> DomainError:
    """The domain error for a Google API error answer; decided on `errors[].reason` (doc § 8)."""
    status = response.status_code
    body = read_json(response) or {}
    error = as_dict(body.get("error"))
    items = [e for e in error.get("errors") or [] if isinstance(e, dict)]
    reasons = [text_of(e.get("reason"), 80) for e in items]
    message = text_of(error.get("message")) or (text_of(items[0].get("message")) if items else "")
    message = _TAG.sub("", message)
    said = f"YouTube could not {action} ({', '.join(filter(None, reasons)) or f'HTTP {status}'}"
    said += f": {message})" if message else ")"
    retry_after = response.headers.get("Retry-After")
    wait = f"; retry after {retry_after} s" if retry_after else ""
    if "youtubeSignupRequired" in reasons:
        return ProviderRejected(f"{said}: the Google account has no YouTube channel")
    if any(r in _QUOTA for r in reasons):
        return ProviderUnavailable(
            f"{said}: the project's daily YouTube API quota is used up; it resets at midnight "
            "Pacific Time"
        )
    if "uploadLimitExceeded" in reasons:
        return ProviderRejected(
            f"{said}: the channel reached YouTube's daily upload limit; post again tomorrow"
        )
    if status == 401 or any(r in _AUTH for r in reasons):
        return ReconnectRequired(f"{said}: the access token was refused; connect YouTube again")
    if "insufficientPermissions" in reasons:
        return ReconnectRequired(f"{said}: the grant lacks a scope; connect YouTube again")
    if status == 429 or any(r in _RATE for r in reasons):
        return ProviderUnavailable(f"{said}: rate limited{wait}")
    if status >= 500 or any(r in _TRANSIENT for r in reasons):
        return ProviderUnavailable(f"{said}{wait}")
    return ProviderRejected(said)


def _clean(text: str) -> str:
    return text.replace("<", "").replace(">", "").strip()


def _privacy(wanted: str | None) -> str:
    if wanted is None:
        return "private"
    if wanted.lower() not in PRIVACY_VALUES:
        raise ValidationFailed(f"YouTube privacy is one of {', '.join(PRIVACY_VALUES)}")
    return wanted.lower()


def _failed(message: str) -> PublishStatus:
    return PublishStatus(PublishState.FAILED, error=message)


__all__ = ["READONLY_SCOPE", "UPLOAD_SCOPE", "YouTubePublisher", "google_error", "youtube_title"]
