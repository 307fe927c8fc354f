"""`TikTokPublisher`: the `SocialPublisher` port on TikTok Login Kit v2 + Content Posting API
(direct post). Reference: `docs/providers/tiktok.md`.

References (`begin_publish` / `advance_publish`):

* `<publish_id>` — the post is with TikTok; `advance_publish` reads its status.
* `<publish_id> <offset> <upload_url>` — FILE_UPLOAD still has bytes to send from `offset`;
  each step PUTs up to `chunks_per_step` chunks and returns the updated reference, and the final
  chunk (TikTok answers 201) turns it back into the bare `publish_id`. The upload URL is valid
  one hour after init (doc § 3), so the core should step quickly.

The init call is the irreversible step. With PULL_FROM_URL an unclear answer is
`ProviderOutcomeUnknown` (TikTok may already be fetching the video); with FILE_UPLOAD nothing can
be posted without the upload URL we never received, so an unclear init is `ProviderUnavailable`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import attrs
import httpx

from afp_adapters.social._http import (
    DEFAULT_TIMEOUT,
    DEFAULT_UPLOAD_TIMEOUT,
    BearerAuth,
    SocialHttp,
    expires_at,
    expires_within,
    hex_challenge,
    read_json,
    split_scopes,
    text_of,
    trim_utf16,
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

DEFAULT_AUTH_URL = "https://www.tiktok.com/v2/auth/authorize/"
DEFAULT_API_BASE_URL = "https://open.tiktokapis.com"
TITLE_LIMIT = 2200  # UTF-16 units in the newer reference; an older copy says 150 (doc § 4)
MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64 * 1024 * 1024
DEFAULT_CHUNK_SIZE = 10 * 1024 * 1024  # Postiz's choice; within TikTok's 5-64 MB (doc § 5)
MAX_CHUNKS = 1000
MAX_VIDEO_BYTES = 4 * 1024 * 1024 * 1024
REFRESH_MARGIN = timedelta(minutes=5)
# From the most private to the most public: the fallback walks this order.
PRIVACY_ORDER = ("SELF_ONLY", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "PUBLIC_TO_EVERYONE")
_USER_FIELDS = "open_id,union_id,avatar_url,display_name"
_JSON = {"Content-Type": "application/json; charset=UTF-8"}
_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+)")

# error.code -> what it means for us (doc § 7)
_RECONNECT = {
    "access_token_invalid": "the TikTok access token is invalid or expired",
    "scope_not_authorized": "the TikTok grant lacks a scope AFP needs (video.publish)",
    "scope_permission_missed": "the TikTok grant lacks a scope AFP needs (video.publish)",
}
_RETRY_LATER = {
    "rate_limit_exceeded": "TikTok's per-minute rate limit was hit; try again in a minute",
    "reached_active_user_cap": (
        "the app reached TikTok's daily cap of active publishers; try again in 24 hours "
        "(ops: ask TikTok for a higher cap)"
    ),
    "internal_error": "TikTok had an internal error",
}
_REFUSED = {
    "spam_risk_too_many_posts": "the creator reached TikTok's daily post cap; post tomorrow",
    "spam_risk_user_banned_from_posting": "TikTok banned this creator from posting",
    "spam_risk_too_many_pending_share": "too many pending inbox shares on TikTok",
    "unaudited_client_can_only_post_to_private_accounts": (
        "the TikTok app is not audited yet: only private accounts with SELF_ONLY posts work"
    ),
    "url_ownership_unverified": (
        "the video URL's domain is not verified for the TikTok app; use upload_mode FILE_UPLOAD"
    ),
    "privacy_level_option_mismatch": "the privacy level is not one the creator may use",
    "app_version_check_failed": "the creator's TikTok app is too old",
}
_FAIL_REASONS = {
    "file_format_check_failed": "TikTok refused the file format; re-encode the video",
    "duration_check_failed": "the video is too long or too short for TikTok",
    "frame_rate_check_failed": "TikTok refused the frame rate",
    "picture_size_check_failed": "TikTok refused the picture size (at least 720p)",
    "internal": "TikTok had an internal error; publish again",
    "video_pull_failed": "TikTok could not download the video URL",
    "publish_cancelled": "the publish was cancelled",
    "auth_removed": "the creator removed AFP's access on TikTok",
    "spam_risk_too_many_posts": "the creator reached TikTok's daily post cap",
    "spam_risk_user_banned_from_posting": "TikTok banned this creator from posting",
    "spam_risk_text": "TikTok flagged the caption as spam",
    "spam_risk": "TikTok flagged the post as spam",
}


class UploadMode(enum.StrEnum):
    FILE_UPLOAD = "FILE_UPLOAD"
    PULL_FROM_URL = "PULL_FROM_URL"


@attrs.frozen
class _UploadRef:
    publish_id: str
    offset: int | None = None  # None: the upload is done (or TikTok pulls the URL)
    upload_url: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def parse(cls, ref: str) -> _UploadRef:
        parts = ref.strip().split(" ", 2)
        if len(parts) == 1 and parts[0]:
            return cls(parts[0])
        if len(parts) == 3 and parts[1].isdigit() and parts[2].startswith("https://"):
            return cls(parts[0], int(parts[1]), parts[2])
        raise ValidationFailed("not a TikTok publish reference")

    def __str__(self) -> str:
        if self.offset is None or self.upload_url is None:
            return self.publish_id
        return f"{self.publish_id} {self.offset} {self.upload_url}"


def chunk_plan(size: int, chunk_size: int) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) per doc § 5: the count is floor(size / chunk) and the
    last chunk absorbs the remainder; a file smaller than one chunk is one chunk."""
    if size <= chunk_size:
        return size, 1
    return chunk_size, size // chunk_size


def choose_privacy(wanted: str | None, options: list[str]) -> str:
    """`wanted` when the creator may use it, else the most private option offered."""
    if wanted is not None and wanted in options:
        return wanted
    for level in PRIVACY_ORDER:
        if level in options:
            return level
    if options:
        return options[0]
    raise ProviderRejected("TikTok offers this creator no privacy level to post with")


class TikTokPublisher:
    """Implements `SocialPublisher` for TikTok (direct post, not the inbox / draft flow).

    PKCE: TikTok wants the **hex** SHA-256 of the verifier (doc § 2.2); the port's RFC 7636
    base64url challenge is decoded and re-encoded as hex. Web apps may omit PKCE; `pkce=False`
    sends neither the challenge nor the verifier. `upload_mode` defaults to FILE_UPLOAD, which
    needs no verified domain (doc § 1, checklist 6); PULL_FROM_URL makes TikTok fetch
    `request.video.url`. Refresh tokens rotate (doc § 2.4): `refresh` returns the new one.
    """

    provider = SocialProvider.TIKTOK
    required_scopes = frozenset({"user.info.basic", "video.publish"})

    def __init__(
        self,
        *,
        client_key: str,
        client_secret: str,
        transport: httpx.AsyncBaseTransport | None = None,
        auth_url: str = DEFAULT_AUTH_URL,
        api_base_url: str = DEFAULT_API_BASE_URL,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        upload_timeout: httpx.Timeout | float = DEFAULT_UPLOAD_TIMEOUT,
        upload_mode: UploadMode = UploadMode.FILE_UPLOAD,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        chunks_per_step: int = 5,
        pkce: bool = True,
        title_limit: int = TITLE_LIMIT,
        brand_content: bool = False,
        brand_organic: bool = False,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        if not client_key or not client_secret:
            raise ValueError("the TikTok client key and secret are required")
        if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
            raise ValueError("TikTok chunks are 5 MB to 64 MB")
        if chunks_per_step < 1:
            raise ValueError("chunks_per_step must be at least 1")
        self._client_key = client_key
        self._client_secret = client_secret
        self._http = SocialHttp("TikTok", transport=transport, timeout=timeout)
        self._auth_url = auth_url
        self._api = api_base_url.rstrip("/")
        self._upload_timeout = upload_timeout
        self._mode = UploadMode(upload_mode)
        self._chunk_size = chunk_size
        self._chunks_per_step = chunks_per_step
        self._pkce = pkce
        self._title_limit = title_limit
        self._brand_content = brand_content
        self._brand_organic = brand_organic
        self._now = now

    def __repr__(self) -> str:
        return f"<TikTokPublisher client_key={self._client_key!r} mode={self._mode.value}>"

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ OAuth

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        params = {
            "client_key": self._client_key,
            "response_type": "code",
            "scope": ",".join(sorted(self.required_scopes)),
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if self._pkce:
            params["code_challenge"] = hex_challenge(code_challenge)
            params["code_challenge_method"] = "S256"
        return f"{self._auth_url}?{urlencode(params)}"

    async def exchange_code(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> OAuthTokens:
        form = {
            "client_key": self._client_key,
            "client_secret": self._client_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
        }
        if self._pkce:
            form["code_verifier"] = code_verifier
        body = await self._token_call(form, action="exchange the authorisation code")
        access = body["access_token"]
        user = await self._user_info(access)
        return OAuthTokens(
            access_token=access,
            refresh_token=text_of(body.get("refresh_token"), 2000) or None,
            expires_at=expires_at(self._now(), body.get("expires_in")),
            scopes=split_scopes(body.get("scope")),
            account_id=text_of(user.get("open_id")) or text_of(body.get("open_id")),
            account_name=text_of(user.get("display_name")),
        )

    def refresh_due(self, tokens: OAuthTokens, now: datetime) -> bool:
        return expires_within(tokens.expires_at, now, REFRESH_MARGIN)

    async def refresh(self, tokens: OAuthTokens) -> OAuthTokens:
        if not tokens.refresh_token:
            raise ReconnectRequired("the TikTok connection has no refresh token; connect again")
        form = {
            "client_key": self._client_key,
            "client_secret": self._client_secret,
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
        }
        body = await self._token_call(form, action="refresh the access token", refreshing=True)
        scopes = split_scopes(body.get("scope")) or tokens.scopes
        return OAuthTokens(
            access_token=body["access_token"],
            refresh_token=text_of(body.get("refresh_token"), 2000) or tokens.refresh_token,
            expires_at=expires_at(self._now(), body.get("expires_in")),
            scopes=scopes,
            account_id=tokens.account_id or text_of(body.get("open_id")),
            account_name=tokens.account_name,
        )

    async def revoke(self, tokens: OAuthTokens) -> None:
        form = {
            "client_key": self._client_key,
            "client_secret": self._client_secret,
            "token": tokens.access_token,
        }
        response = await self._http.send(
            "POST", f"{self._api}/v2/oauth/revoke/", action="revoke the grant", data=form
        )
        body = read_json(response) or {}
        error = body.get("error")
        code = error.get("code") if isinstance(error, dict) else error
        if response.is_success and code in (None, "", "ok"):
            return
        if response.status_code == 401 or code in ("access_token_invalid", "invalid_grant"):
            return  # already dead: nothing left to revoke
        if response.status_code == 429 or response.status_code >= 500:
            raise ProviderUnavailable(
                f"TikTok could not revoke the grant (HTTP {response.status_code})"
            )
        raise ProviderRejected(
            f"TikTok refused to revoke the grant ({code or response.status_code})"
        )

    # ------------------------------------------------------------------ publishing

    async def begin_publish(self, tokens: OAuthTokens, request: PublishRequest) -> str:
        size = request.video.size
        if size <= 0 or size > MAX_VIDEO_BYTES:
            raise ValidationFailed(f"TikTok takes videos of 1 byte to 4 GB, not {size} bytes")
        creator = await self._creator_info(tokens)
        options = [o for o in creator.get("privacy_level_options") or [] if isinstance(o, str)]
        post_info: dict[str, Any] = {
            "title": trim_utf16(request.caption, self._title_limit),
            "privacy_level": choose_privacy(request.privacy, options),
            "disable_comment": bool(creator.get("comment_disabled")),
            "disable_duet": bool(creator.get("duet_disabled")),
            "disable_stitch": bool(creator.get("stitch_disabled")),
            "brand_content_toggle": self._brand_content,
            "brand_organic_toggle": self._brand_organic,
            "is_aigc": request.ai_disclosure,
        }
        source: dict[str, Any]
        if self._mode is UploadMode.PULL_FROM_URL:
            if not request.video.url.startswith("https://"):
                raise ValidationFailed("TikTok pulls videos from https URLs only")
            source = {"source": "PULL_FROM_URL", "video_url": request.video.url}
        else:
            chunk, count = chunk_plan(size, self._chunk_size)
            if count > MAX_CHUNKS:
                raise ValidationFailed(f"the video needs {count} chunks; TikTok takes 1000")
            source = {
                "source": "FILE_UPLOAD",
                "video_size": size,
                "chunk_size": chunk,
                "total_chunk_count": count,
            }
        pulls = self._mode is UploadMode.PULL_FROM_URL
        data = await self._api_call(
            "/v2/post/publish/video/init/",
            tokens,
            {"post_info": post_info, "source_info": source},
            action="start the post",
            creates=pulls,
        )
        publish_id = text_of(data.get("publish_id"), 200)
        upload_url = text_of(data.get("upload_url"), 2000)
        if not publish_id or (not pulls and not upload_url.startswith("https://")):
            error = ProviderOutcomeUnknown if pulls else ProviderUnavailable
            raise error("TikTok answered the post init without a publish id or upload URL")
        if pulls:
            return publish_id
        return str(_UploadRef(publish_id, 0, upload_url))

    async def advance_publish(
        self, tokens: OAuthTokens, ref: str, request: PublishRequest
    ) -> PublishStatus:
        parsed = _UploadRef.parse(ref)
        if parsed.offset is not None and parsed.upload_url is not None:
            return await self._upload(parsed.publish_id, parsed.offset, parsed.upload_url, request)
        return await self._status(tokens, parsed.publish_id)

    # ------------------------------------------------------------------ steps

    async def _upload(
        self, publish_id: str, start: int, upload_url: str, request: PublishRequest
    ) -> PublishStatus:
        size = request.video.size
        chunk, count = chunk_plan(size, self._chunk_size)
        offset = start
        for _ in range(self._chunks_per_step):
            index = min(offset // chunk, count - 1)
            length = chunk if index < count - 1 else size - offset
            data = await request.video.read(offset, length)
            if len(data) != length:
                raise ValidationFailed(
                    f"the stored video gave {len(data)} bytes at {offset}, expected {length}"
                )
            last = offset + length - 1
            try:
                response = await self._http.send(
                    "PUT",
                    upload_url,
                    action=f"upload bytes {offset}-{last}",
                    content=data,
                    headers={
                        "Content-Type": request.video.content_type,
                        "Content-Range": f"bytes {offset}-{last}/{size}",
                    },
                    timeout=self._upload_timeout,
                )
                after = _after_chunk(response, last + 1, size)
            except ProviderUnavailable:
                if offset != start:  # keep what this step achieved; the next one goes on
                    return _processing(_UploadRef(publish_id, offset, upload_url))
                raise
            if isinstance(after, PublishStatus):
                return after
            if after >= size:
                return _processing(_UploadRef(publish_id))
            offset = after
        return _processing(_UploadRef(publish_id, offset, upload_url))

    async def _status(self, tokens: OAuthTokens, publish_id: str) -> PublishStatus:
        data = await self._api_call(
            "/v2/post/publish/status/fetch/",
            tokens,
            {"publish_id": publish_id},
            action="read the post status",
        )
        status = data.get("status")
        if status == "FAILED":
            reason = text_of(data.get("fail_reason")) or "unknown"
            meaning = _FAIL_REASONS.get(reason, "TikTok could not publish the video")
            return _failed(f"{meaning} ({reason})")
        if status in ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX"):
            ids = data.get("publicaly_available_post_id") or []  # sic (doc § 6)
            post_id = str(ids[0]) if isinstance(ids, list) and ids else None
            url = await self._post_url(tokens, post_id) if post_id else None
            return PublishStatus(PublishState.PUBLISHED, post_id or publish_id, url)
        return PublishStatus(PublishState.PROCESSING)

    async def _post_url(self, tokens: OAuthTokens, post_id: str) -> str | None:
        try:
            creator = await self._creator_info(tokens)
        except DomainError:
            return None  # the post is live; the link is cosmetic
        username = text_of(creator.get("creator_username"))
        return f"https://www.tiktok.com/@{username}/video/{post_id}" if username else None

    # ------------------------------------------------------------------ calls

    async def _creator_info(self, tokens: OAuthTokens) -> dict[str, Any]:
        return await self._api_call(
            "/v2/post/publish/creator_info/query/", tokens, None, action="read the creator info"
        )

    async def _user_info(self, access_token: str) -> dict[str, Any]:
        response = await self._http.send(
            "GET",
            f"{self._api}/v2/user/info/",
            action="read the account",
            params={"fields": _USER_FIELDS},
            auth=BearerAuth(access_token),
        )
        data = _envelope(response, action="read the account", creates=False)
        user = data.get("user")
        return user if isinstance(user, dict) else {}

    async def _api_call(
        self,
        path: str,
        tokens: OAuthTokens,
        body: dict[str, Any] | None,
        *,
        action: str,
        creates: bool = False,
    ) -> dict[str, Any]:
        response = await self._http.send(
            "POST",
            f"{self._api}{path}",
            action=action,
            creates=creates,
            json=body,
            headers=_JSON,
            auth=BearerAuth(tokens.access_token),
        )
        return _envelope(response, action=action, creates=creates)

    async def _token_call(
        self, form: dict[str, str], *, action: str, refreshing: bool = False
    ) -> dict[str, Any]:
        response = await self._http.send(
            "POST",
            f"{self._api}/v2/oauth/token/",
            action=action,
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        body = read_json(response)
        error = body.get("error") if body else None
        if body and response.is_success and not error and isinstance(body.get("access_token"), str):
            return body
        code = error if isinstance(error, str) else ""
        said = text_of(body.get("error_description")) if body else ""
        detail = f"{code or f'HTTP {response.status_code}'}: {said or 'no description'}"
        if response.status_code == 429 or response.status_code >= 500:
            raise ProviderUnavailable(f"TikTok could not {action} ({detail})")
        if refreshing and code in ("invalid_grant", "access_denied", "invalid_scope"):
            raise ReconnectRequired(
                f"TikTok no longer accepts the refresh token ({detail}); connect again"
            )
        if not body or not code:
            raise ProviderUnavailable(f"TikTok gave an unreadable answer when asked to {action}")
        raise ProviderRejected(f"TikTok refused to {action} ({detail})")


def _envelope(response: httpx.Response, *, action: str, creates: bool) -> dict[str, Any]:
    """The `data` of a `{data, error}` answer, or the domain error its `error.code` means."""
    body = read_json(response)
    error = body.get("error") if body else None
    code = text_of(error.get("code")) if isinstance(error, dict) else ""
    message = text_of(error.get("message")) if isinstance(error, dict) else ""
    log_id = text_of(error.get("log_id"), 80) if isinstance(error, dict) else ""
    if body is not None and code == "ok" and response.is_success:
        data = body.get("data")
        return data if isinstance(data, dict) else {}
    raise _api_error(response.status_code, code, message, log_id, action=action, creates=creates)


def _api_error(
    status: int, code: str, message: str, log_id: str, *, action: str, creates: bool
) -> DomainError:
    said = f"TikTok could not {action} ({code or f'HTTP {status}'}: {message or 'no message'}"
    said += f"; log_id {log_id})" if log_id else ")"
    if code in _RECONNECT or (status == 401 and not code):
        hint = _RECONNECT.get(code, "TikTok refused the access token")
        return ReconnectRequired(f"{said}: {hint}; connect TikTok again")
    if code in _RETRY_LATER:
        return ProviderUnavailable(f"{said}: {_RETRY_LATER[code]}")
    if code in _REFUSED:
        return ProviderRejected(f"{said}: {_REFUSED[code]}")
    if status == 429:
        return ProviderUnavailable(f"{said}: rate limited; try again in a minute")
    if status >= 500 or (not code and not 400 <= status < 500):
        if creates:
            return ProviderOutcomeUnknown(
                f"{said}: the post may have started, so it must not be started again blindly"
            )
        return ProviderUnavailable(said)
    return ProviderRejected(said)


def _after_chunk(response: httpx.Response, sent_to: int, size: int) -> int | PublishStatus:
    """Where the upload goes on after one PUT (doc § 5): the next offset, or a FAILED status;
    429 / 5xx raise `ProviderUnavailable` (send the same chunk again)."""
    status = response.status_code
    if status == 201:
        return size
    if status == 206:
        return sent_to
    if status == 416:  # out of step: realign on what TikTok says it holds
        received = _received(response)
        if received is None:
            return _failed("TikTok's upload went out of step and gave no progress; post again")
        return received
    if status == 429 or status >= 500:
        raise ProviderUnavailable(f"TikTok's upload answered HTTP {status}; send the chunk again")
    if status == 403:
        return _failed("the TikTok upload link expired (it lasts one hour); post again")
    if status == 404:
        return _failed("TikTok no longer knows this upload; post again")
    return _failed(f"TikTok refused the upload (HTTP {status})")


def _received(response: httpx.Response) -> int | None:
    """Bytes TikTok holds, from `Content-Range: bytes 0-N/TOTAL` (doc § 5)."""
    match = _RANGE.search(response.headers.get("Content-Range", ""))
    return int(match.group(2)) + 1 if match else None


def _processing(ref: _UploadRef) -> PublishStatus:
    return PublishStatus(PublishState.PROCESSING, ref=str(ref))


def _failed(message: str) -> PublishStatus:
    return PublishStatus(PublishState.FAILED, error=message)


__all__ = ["PRIVACY_ORDER", "TikTokPublisher", "UploadMode", "choose_privacy", "chunk_plan"]
