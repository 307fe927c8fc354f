"""Social connections (encrypted provider tokens) and posts.

A post is recorded (PUBLISHING) before anything reaches the platform; a job marks it
`publish_started_at` (committed) right before the one irreversible call, stores the platform's
reference, and later jobs advance it until `PUBLISHED` or `FAILED`. A post whose marker is set
but which has no reference may have reached the platform: it fails, it is never sent again.

A connection holds its tokens only as ciphertexts bound to `token_context(...)`; one worker at a
time refreshes them, under a lease (`refresh_claimed_until`) taken by a conditional update.
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
    NEEDS_RECONNECT = "NEEDS_RECONNECT"  # the grant was revoked or expired: connect again
    REVOKED = "REVOKED"


class TokenField(enum.StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


def token_context(user_id: UserId, provider: SocialProvider, field: TokenField) -> str:
    """The associated data a token's ciphertext is bound to: its row and field. A ciphertext
    copied to another user, platform or field does not decrypt."""
    return f"user_integrations|{user_id}|{provider.value}|{field.value}"


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
    refresh_claimed_until: datetime | None = None  # a worker is refreshing the tokens until then

    def context(self, field: TokenField) -> str:
        return token_context(self.user_id, self.provider, field)

    def store_tokens(
        self, access_token_enc: str, refresh_token_enc: str | None, expires_at: datetime | None
    ) -> None:
        """Keep refreshed tokens (already encrypted) and end the refresh lease."""
        self.access_token_enc = access_token_enc
        self.refresh_token_enc = refresh_token_enc
        self.expires_at = expires_at
        self.refresh_claimed_until = None

    def release_refresh(self) -> None:
        self.refresh_claimed_until = None

    def mark_needs_reconnect(self) -> None:
        """The platform no longer honours the grant: forget the dead tokens and ask the user
        to connect again (a revoked connection stays revoked)."""
        if self.status is ConnectionStatus.REVOKED:
            return
        self.status = ConnectionStatus.NEEDS_RECONNECT
        self.access_token_enc = ""
        self.refresh_token_enc = None
        self.refresh_claimed_until = None

    def revoke(self) -> None:
        """Mark revoked and forget the tokens: nothing can use them again."""
        self.status = ConnectionStatus.REVOKED
        self.access_token_enc = ""
        self.refresh_token_enc = None
        self.refresh_claimed_until = None


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
    title: str = ""  # YouTube's title; others ignore it
    publish_started_at: datetime | None = None  # set (committed) before the irreversible call
    publish_id: str | None = None  # the platform's reference for the publish in progress
    provider_post_id: str | None = None
    post_url: str | None = None
    error: str | None = None
    checks: int = 0

    def _require_publishing(self) -> None:
        if self.status is not PostStatus.PUBLISHING:
            raise IllegalTransition(f"post {self.id} is already {self.status.value}")

    def start_publishing(self, now: datetime) -> None:
        """Mark the platform call as begun. Only once: a post whose marker is set is never
        sent again."""
        self._require_publishing()
        if self.publish_started_at is not None:
            raise IllegalTransition(f"post {self.id} was already sent to the platform")
        self.publish_started_at = now
        self.updated_at = now

    def forget_start(self, now: datetime) -> None:
        """Undo `start_publishing` when the platform certainly did not receive the video (it
        refused the call before doing anything), so a later attempt may send it."""
        self._require_publishing()
        if self.publish_id is None:
            self.publish_started_at = None
        self.updated_at = now

    @property
    def in_doubt(self) -> bool:
        """Sent, but the platform's reference was never stored: it may have the video."""
        return self.publish_started_at is not None and self.publish_id is None

    def record_upload(self, publish_id: str, now: datetime) -> None:
        """Store the platform's (new) reference for the publish in progress."""
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
    "TokenField",
    "token_context",
]
