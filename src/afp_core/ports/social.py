"""Ports for the social platforms and for secrets at rest (OAuth tokens).

A publish is split so that nothing irreversible is ever repeated blindly: `begin_publish`
starts the platform's upload and returns a reference the core stores at once; `advance_publish`
is then called again and again (by a job) with that reference until the post is final. Each call
of `advance_publish` does one bounded step (upload or resume a chunk range, check a container,
publish a finished container, read the status) and says where things stand.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

import attrs

from afp_core.domain.social import OAuthTokens, SocialProvider


class PublishState(enum.StrEnum):
    PROCESSING = "processing"
    PUBLISHED = "published"
    FAILED = "failed"


@attrs.frozen
class PublishStatus:
    """Where a publish stands after one step. `ref` is set when the reference to keep changed
    (a YouTube upload session that finished and became a video id, an Instagram container that
    became a media id); the core stores it before the next step."""

    state: PublishState
    provider_post_id: str | None = None
    post_url: str | None = None
    error: str = ""
    ref: str | None = None


@attrs.frozen
class VideoUpload:
    """The finished video to publish."""

    url: str  # a public, time-limited link: platforms that pull (Instagram, TikTok) fetch it
    size: int  # bytes
    read: Callable[[int, int], Awaitable[bytes]] = attrs.field(repr=False)  # (offset, length)
    content_type: str = "video/mp4"


@attrs.frozen
class PublishRequest:
    video: VideoUpload
    caption: str  # the adapter trims to the platform's limit
    title: str = ""  # YouTube's title (trimmed to 100); others ignore it
    privacy: str | None = None  # a platform value; None: the most private option allowed
    ai_disclosure: bool = True  # set the platform's AI-generated-content flag where it has one


class SocialPublisher(Protocol):
    provider: SocialProvider
    required_scopes: frozenset[str]  # a grant without all of these is refused at connect

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        """Where to send the user to grant access (OAuth 2 with PKCE where supported)."""
        ...

    async def exchange_code(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> OAuthTokens:
        """Trade the code for tokens, with the granted scopes and the account's id and name."""
        ...

    def refresh_due(self, tokens: OAuthTokens, now: datetime) -> bool:
        """Whether to refresh before using the tokens (shortly before expiry; Instagram's
        long-lived token on its schedule)."""
        ...

    async def refresh(self, tokens: OAuthTokens) -> OAuthTokens:
        """New tokens (a rotated refresh token included). `ReconnectRequired` when the grant
        was revoked or has expired for good."""
        ...

    async def begin_publish(self, tokens: OAuthTokens, request: PublishRequest) -> str:
        """Start the publish and return its reference (TikTok publish id, YouTube upload
        session URL, Instagram container id). May be irreversible: never called twice for a
        post. `ProviderOutcomeUnknown` when it may have started without an answer."""
        ...

    async def advance_publish(
        self, tokens: OAuthTokens, ref: str, request: PublishRequest
    ) -> PublishStatus:
        """One step towards the final state; PROCESSING means call again later."""
        ...

    async def revoke(self, tokens: OAuthTokens) -> None:
        """Revoke the grant where the platform allows it (a no-op where it does not)."""
        ...


class TokenCipher(Protocol):
    """Authenticated encryption of tokens at rest. `context` is associated data binding the
    ciphertext to its place (user, provider, row, field): decrypting with another context fails."""

    def encrypt(self, plaintext: str, *, context: str) -> str: ...

    def decrypt(self, ciphertext: str, *, context: str) -> str:
        """`ValueError` when it does not verify with any key of the ring for this context."""
        ...

    def needs_rotation(self, ciphertext: str) -> bool:
        """True when it was made with a key other than the current one."""
        ...


__all__ = [
    "PublishRequest",
    "PublishState",
    "PublishStatus",
    "SocialPublisher",
    "TokenCipher",
    "VideoUpload",
]
