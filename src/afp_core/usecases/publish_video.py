"""PublishVideo: record a post of a finished video; a job sends it to the platform."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from afp_core.domain.errors import ReconnectRequired, ValidationFailed
from afp_core.domain.ids import PostId, UserId, VideoId
from afp_core.domain.jobs import Job, JobName
from afp_core.domain.social import ConnectionStatus, Post, PostStatus, SocialProvider
from afp_core.domain.video import VideoStatus
from afp_core.ports.social import SocialPublisher
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._social_tokens import reconnect_message

MAX_CAPTION_LENGTH = 2200  # the longest any platform takes; each adapter trims to its own
MAX_TITLE_LENGTH = 100


@attrs.frozen
class PublishVideoCommand:
    user_id: UserId
    video_id: VideoId
    provider: SocialProvider
    caption: str = ""
    title: str = ""  # YouTube's title (default: the caption's first line)


@attrs.frozen
class PublishVideoResult:
    post_id: PostId
    status: PostStatus


class PublishVideo:
    """Publish one of the user's finished videos to a connected platform.

    In one unit of work the video (the user's own — another user's is `NotFound` — and
    COMPLETED), the connection and the caption are checked, the post is recorded as PUBLISHING
    and a `publish_post` job is deferred to send it (`StartPublishing`); nothing reaches the
    platform here. A connection whose grant has lapsed is `ReconnectRequired`; no connection is
    `ValidationFailed`.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[SocialProvider, SocialPublisher],
        clock: Clock,
        ids: IdGenerator,
    ) -> None:
        self._uow = uow
        self._publishers = publishers
        self._clock = clock
        self._ids = ids

    async def execute(self, command: PublishVideoCommand) -> PublishVideoResult:
        if command.provider not in self._publishers:
            raise ValidationFailed(f"publishing to {command.provider.value} is not available")
        if len(command.caption) > MAX_CAPTION_LENGTH:
            raise ValidationFailed(
                f"the caption has {len(command.caption)} characters; "
                f"at most {MAX_CAPTION_LENGTH} are allowed"
            )
        if len(command.title) > MAX_TITLE_LENGTH:
            raise ValidationFailed(f"the title has more than {MAX_TITLE_LENGTH} characters")
        now = self._clock.now()
        post_id = PostId(self._ids.new_id())
        async with self._uow() as uow:
            video = await uow.videos.get(command.user_id, command.video_id)
            if video.status is not VideoStatus.COMPLETED or video.result_key is None:
                raise ValidationFailed("video is not finished")
            connection = await uow.connections.get(command.user_id, command.provider)
            if connection is not None and connection.status is ConnectionStatus.NEEDS_RECONNECT:
                raise ReconnectRequired(reconnect_message(command.provider))
            if connection is None or connection.status is not ConnectionStatus.CONNECTED:
                raise ValidationFailed(
                    f"connect your {command.provider.value} account first, then publish"
                )
            await uow.posts.add(
                Post(
                    id=post_id,
                    user_id=command.user_id,
                    video_id=video.id,
                    provider=command.provider,
                    caption=command.caption,
                    title=command.title,
                    created_at=now,
                    updated_at=now,
                )
            )
            await uow.jobs.defer(Job(JobName.PUBLISH_POST, {"post_id": post_id}, run_at=now))
            await uow.commit()
        return PublishVideoResult(post_id, PostStatus.PUBLISHING)


__all__ = [
    "MAX_CAPTION_LENGTH",
    "MAX_TITLE_LENGTH",
    "PublishVideo",
    "PublishVideoCommand",
    "PublishVideoResult",
]
