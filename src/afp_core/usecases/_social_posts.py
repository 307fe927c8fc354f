"""Steps the publishing jobs share (not a use case itself): what a post sends, how it ends."""

from __future__ import annotations

from collections.abc import Mapping

from afp_core.domain.errors import NotFound, ValidationFailed
from afp_core.domain.ids import PostId
from afp_core.domain.policy import SocialTiming
from afp_core.domain.social import (
    ConnectionStatus,
    OAuthTokens,
    Post,
    PostStatus,
    SocialConnection,
    SocialProvider,
)
from afp_core.domain.video import Video, VideoStatus
from afp_core.ports.generation import MediaStorage
from afp_core.ports.social import PublishRequest, SocialPublisher, TokenCipher, VideoUpload
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._social_tokens import TokenKeeper, reconnect_message

IN_DOUBT = "the platform may have received this video; check your account before publishing again"
TOO_SLOW = "the platform did not finish in time; check your account before publishing again"
FILE_GONE = "the video's file is no longer stored"


def connection_problem(provider: SocialProvider, connection: SocialConnection | None) -> str | None:
    """Why a post cannot go on with this connection, or None when it can."""
    if connection is None or connection.status is ConnectionStatus.REVOKED:
        return f"the {provider.value} account was disconnected before the post was finished"
    if connection.status is ConnectionStatus.NEEDS_RECONNECT:
        return reconnect_message(provider)
    return None


async def video_upload(storage: MediaStorage, video: Video) -> VideoUpload:
    """The finished video as platforms take it: a time-limited link for those that pull it,
    and its bytes, read range by range when a platform is sent them (nothing is read for a
    step that does not upload). `ValidationFailed` when it is not stored."""
    key = video.result_key
    if video.status is not VideoStatus.COMPLETED or key is None:
        raise ValidationFailed(FILE_GONE)
    try:
        size = await storage.size(key)
    except NotFound:
        raise ValidationFailed(FILE_GONE) from None

    async def read(offset: int, length: int) -> bytes:
        try:
            return await storage.read_range(key, offset, length)
        except NotFound:
            raise ValidationFailed(FILE_GONE) from None

    return VideoUpload(url=await storage.url_for(key), size=size, read=read)


class PostSender:
    """What both publishing jobs need before a platform call: the post's publisher, usable
    tokens (refreshed under the connection's lease) and the request to send."""

    def __init__(
        self,
        publishers: Mapping[SocialProvider, SocialPublisher],
        tokens: TokenKeeper,
        storage: MediaStorage,
    ) -> None:
        self._publishers = publishers
        self._tokens = tokens
        self._storage = storage

    async def ready(
        self, post: Post, connection: SocialConnection | None, video: Video
    ) -> tuple[SocialPublisher, OAuthTokens, PublishRequest]:
        """`ValidationFailed` when the platform is not available here or the connection cannot
        be used; the token keeper's and storage's errors as they come."""
        publisher = self._publishers.get(post.provider)
        if publisher is None:
            raise ValidationFailed(f"publishing to {post.provider.value} is not available")
        problem = connection_problem(post.provider, connection)
        if problem is not None or connection is None:
            raise ValidationFailed(problem or "")
        tokens = await self._tokens.usable(publisher, connection)
        request = publish_request(post, await video_upload(self._storage, video))
        return publisher, tokens, request


def publish_request(post: Post, video: VideoUpload) -> PublishRequest:
    """AI-generated-content disclosure is always on; the adapters trim to their limits."""
    return PublishRequest(
        video=video,
        caption=post.caption,
        title=post.title or _title_from(post.caption),
        ai_disclosure=True,
    )


def _title_from(caption: str) -> str:
    first_line = caption.strip().splitlines()[0] if caption.strip() else ""
    return first_line or "AI-generated video"


async def fail_post(
    uow_factory: UnitOfWorkFactory, post_id: PostId, error: str, clock: Clock
) -> Post:
    """Fail the post with `error` unless it has ended meanwhile; the post as it now stands."""
    async with uow_factory() as uow:
        post = await uow.posts.get_any(post_id)
        if post.status is PostStatus.PUBLISHING:
            post.mark_failed(error, clock.now())
            await uow.posts.save(post)
            await uow.commit()
    return post


__all__ = [
    "FILE_GONE",
    "IN_DOUBT",
    "TOO_SLOW",
    "connection_problem",
    "fail_post",
    "publish_request",
    "video_upload",
]


class PostJob:
    """What the two publishing jobs (`StartPublishing`, `RefreshPostStatus`) are built from:
    the unit of work, the clock, the timing, the token keeper and the `PostSender`."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[SocialProvider, SocialPublisher],
        cipher: TokenCipher,
        storage: MediaStorage,
        clock: Clock,
        timing: SocialTiming | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._timing = timing or SocialTiming()
        self._tokens = TokenKeeper(uow, cipher, clock, self._timing)
        self._sender = PostSender(publishers, self._tokens, storage)
