"""PublishVideo: record a post, then hand a finished video to a social platform."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from afp_core.domain.errors import DomainError, ValidationFailed
from afp_core.domain.ids import PostId, UserId, VideoId
from afp_core.domain.jobs import Job, JobName
from afp_core.domain.policy import SocialTiming
from afp_core.domain.social import (
    ConnectionStatus,
    Post,
    PostStatus,
    SocialProvider,
)
from afp_core.domain.video import VideoStatus
from afp_core.ports.commerce import SocialPublisher, TokenCipher
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._social_tokens import usable_tokens

MAX_CAPTION_LENGTH = 2200


@attrs.frozen
class PublishVideoCommand:
    user_id: UserId
    video_id: VideoId
    provider: SocialProvider
    caption: str = ""


@attrs.frozen
class PublishVideoResult:
    post_id: PostId
    status: PostStatus


class PublishVideo:
    """Publish one of the user's finished videos to a connected platform.

    In one unit of work the video (the user's own, COMPLETED), the connection (CONNECTED) and
    the caption are checked and the post is recorded as PUBLISHING, committed *before* the
    irreversible platform call. Expired tokens are refreshed (and stored encrypted) first. On
    success the upload's id is saved and a `refresh_post` job settles the post later; a platform
    error marks the post FAILED with its message and is returned, not raised.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[SocialProvider, SocialPublisher],
        cipher: TokenCipher,
        clock: Clock,
        ids: IdGenerator,
        timing: SocialTiming | None = None,
    ) -> None:
        self._uow = uow
        self._publishers = publishers
        self._cipher = cipher
        self._clock = clock
        self._ids = ids
        self._timing = timing or SocialTiming()

    async def execute(self, command: PublishVideoCommand) -> PublishVideoResult:
        publisher = self._publishers.get(command.provider)
        if publisher is None:
            raise ValidationFailed(f"publishing to {command.provider.value} is not available")
        if len(command.caption) > MAX_CAPTION_LENGTH:
            raise ValidationFailed(
                f"the caption has {len(command.caption)} characters; "
                f"at most {MAX_CAPTION_LENGTH} are allowed"
            )
        now = self._clock.now()
        post_id = PostId(self._ids.new_id())
        async with self._uow() as uow:
            video = await uow.videos.get(command.user_id, command.video_id)
            video_url = video.result_url
            if video.status is not VideoStatus.COMPLETED or video_url is None:
                raise ValidationFailed("video is not finished")
            connection = await uow.connections.get(command.user_id, command.provider)
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
                    created_at=now,
                    updated_at=now,
                )
            )
            await uow.commit()
        try:
            tokens = await usable_tokens(self._uow, self._cipher, publisher, connection, now)
            publish_id = await publisher.publish(
                tokens, video_url=video_url, caption=command.caption
            )
        except DomainError as exc:
            return await self._fail(post_id, exc.message)
        except ValueError:  # the stored tokens no longer decrypt with the key ring
            return await self._fail(post_id, "the saved sign-in is unreadable; connect again")
        async with self._uow() as uow:
            post = await uow.posts.get_any(post_id)
            done = self._clock.now()
            post.record_upload(publish_id, done)
            await uow.posts.save(post)
            await uow.jobs.defer(
                Job(
                    JobName.REFRESH_POST,
                    {"post_id": post_id},
                    run_at=done + self._timing.post_check_delay,
                )
            )
            await uow.commit()
        return PublishVideoResult(post_id, post.status)

    async def _fail(self, post_id: PostId, error: str) -> PublishVideoResult:
        async with self._uow() as uow:
            post = await uow.posts.get_any(post_id)
            post.mark_failed(error, self._clock.now())
            await uow.posts.save(post)
            await uow.commit()
        return PublishVideoResult(post_id, post.status)


__all__ = ["MAX_CAPTION_LENGTH", "PublishVideo", "PublishVideoCommand", "PublishVideoResult"]
