"""Social connection and post schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from afp_core.domain.social import Post, SocialConnection, SocialProvider
from afp_core.usecases.publish_video import MAX_CAPTION_LENGTH, MAX_TITLE_LENGTH
from afp_http.schemas._base import In, Out


class AuthorizationOut(Out):
    authorization_url: str = Field(description="Send the user here to sign in to the platform")


class ConnectedOut(Out):
    provider: str
    status: str
    account_name: str


class ConnectionOut(Out):
    provider: str
    status: str = Field(
        description="`CONNECTED`, `NEEDS_RECONNECT` (the platform no longer honours the grant:"
        " connect again) or `REVOKED`"
    )
    account_name: str
    scopes: list[str]
    connected_at: datetime
    expires_at: datetime | None

    @classmethod
    def of(cls, connection: SocialConnection) -> ConnectionOut:
        return cls(
            provider=connection.provider.value,
            status=connection.status.value,
            account_name=connection.account_name,
            scopes=list(connection.scopes),
            connected_at=connection.connected_at,
            expires_at=connection.expires_at,
        )


class ConnectionsOut(Out):
    items: list[ConnectionOut]


class DisconnectedOut(Out):
    provider: str
    status: str
    revoked_at_provider: bool = Field(
        description="False: revoke the app in the platform's own settings as well"
    )


class PublishIn(In):
    video_id: str = Field(min_length=1, max_length=64)
    provider: SocialProvider
    caption: str = Field(
        default="",
        max_length=MAX_CAPTION_LENGTH,
        description="Trimmed to the platform's own limit; AI-generated content is disclosed",
    )
    title: str = Field(
        default="",
        max_length=MAX_TITLE_LENGTH,
        description="YouTube's title (default: the caption's first line); others ignore it",
    )


class PublishedOut(Out):
    post_id: str
    status: str = Field(description="`PUBLISHING`: poll `/social/posts/{id}`")


class PostOut(Out):
    id: str
    video_id: str
    provider: str
    caption: str
    status: str
    post_url: str | None
    provider_post_id: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, post: Post) -> PostOut:
        return cls(
            id=post.id,
            video_id=post.video_id,
            provider=post.provider.value,
            caption=post.caption,
            status=post.status.value,
            post_url=post.post_url,
            provider_post_id=post.provider_post_id,
            error=post.error,
            created_at=post.created_at,
            updated_at=post.updated_at,
        )
