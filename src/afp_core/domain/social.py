"""Social connections (encrypted provider tokens) and posts.

A post is recorded *before* the irreversible provider call and then settled by polling:
`PUBLISHING -> PUBLISHED | FAILED`.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from afp_core.domain.errors import IllegalTransition, ValidationFailed
from afp_core.domain.ids import PostId, UserId, VideoId


class SocialProvider(enum.StrEnum):
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    INSTAGRAM = "instagram"

    @classmethod
    def parse(cls, value: str) -> SocialProvider:
        try:
            return cls(value.lower())
        except ValueError:
            names = ", ".join(p.value for p in cls)
            raise ValidationFailed(f"unknown provider {value!r}; one of {names}") from None


class ConnectionStatus(enum.StrEnum):
    CONNECTED = "CONNECTED"
    REVOKED = "REVOKED"


@attrs.frozen
class OAuthTokens:
    """Plain tokens as a provider returns them. Never stored as is."""

    access_token: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(default=None, repr=False)
    expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    account_id: str = ""
    account_name: str = ""


@attrs.frozen
class OAuthState:
    """A pending authorisation: the `state` we sent and the PKCE verifier to finish with."""

    state: str
    user_id: UserId
    provider: SocialProvider
    code_verifier: str = attrs.field(repr=False)
    redirect_uri: str
    expires_at: datetime


@attrs.define
class SocialConnection:
    """A user's link to one platform; tokens are ciphertexts made by a `TokenCipher`."""

    user_id: UserId
    provider: SocialProvider
    access_token_enc: str = attrs.field(repr=False)
    refresh_token_enc: str | None = attrs.field(repr=False)
    expires_at: datetime | None
    scopes: tuple[str, ...]
    account_id: str
    account_name: str
    connected_at: datetime
    status: ConnectionStatus = ConnectionStatus.CONNECTED

    def revoke(self) -> None:
        """Mark revoked and forget the tokens: nothing can use them again."""
        self.status = ConnectionStatus.REVOKED
        self.access_token_enc = ""
        self.refresh_token_enc = None

    def needs_refresh(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class PostStatus(enum.StrEnum):
    PUBLISHING = "PUBLISHING"
    PUBLISHED = "PUBLISHED"
    FAILED = "FAILED"


@attrs.define
class Post:
    id: PostId
    user_id: UserId
    video_id: VideoId
    provider: SocialProvider
    caption: str
    created_at: datetime
    updated_at: datetime
    status: PostStatus = PostStatus.PUBLISHING
    publish_id: str | None = None  # the provider's id for the upload in progress
    provider_post_id: str | None = None
    post_url: str | None = None
    error: str | None = None
    checks: int = 0

    def _require_publishing(self) -> None:
        if self.status is not PostStatus.PUBLISHING:
            raise IllegalTransition(f"post {self.id} is already {self.status.value}")

    def record_upload(self, publish_id: str, now: datetime) -> None:
        self._require_publishing()
        self.publish_id = publish_id
        self.updated_at = now

    def mark_published(self, provider_post_id: str, post_url: str | None, now: datetime) -> None:
        self._require_publishing()
        self.status = PostStatus.PUBLISHED
        self.provider_post_id = provider_post_id
        self.post_url = post_url
        self.updated_at = now

    def mark_failed(self, error: str, now: datetime) -> None:
        self._require_publishing()
        self.status = PostStatus.FAILED
        self.error = error
        self.updated_at = now


__all__ = [
    "ConnectionStatus",
    "OAuthState",
    "OAuthTokens",
    "Post",
    "PostStatus",
    "SocialConnection",
    "SocialProvider",
]
