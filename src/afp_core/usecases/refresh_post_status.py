"""RefreshPostStatus: advance a post in progress one step and settle it (`refresh_post` job)."""

from __future__ import annotations

import attrs

from afp_core.domain.errors import DomainError, ProviderUnavailable, ReconnectRequired
from afp_core.domain.ids import PostId
from afp_core.domain.jobs import Job, JobName
from afp_core.domain.social import Post, PostStatus, SocialConnection
from afp_core.domain.video import Video
from afp_core.ports.social import PublishState, PublishStatus
from afp_core.usecases._social_posts import TOO_SLOW, PostJob
from afp_core.usecases._social_tokens import reconnect_message


@attrs.frozen
class RefreshPostStatusCommand:
    post_id: PostId


@attrs.frozen
class RefreshPostStatusResult:
    post_id: PostId
    status: PostStatus


class RefreshPostStatus(PostJob):
    """Call `advance_publish` once for a PUBLISHING post that has its platform reference.

    A new reference in the answer is stored with whatever else the answer says, in one unit
    of work, before the next step. PUBLISHED and FAILED settle the post; PROCESSING (or a
    platform briefly unavailable) counts a step and defers the next after
    `timing.post_check_delay`, until `timing.post_max_checks` steps fail it (its deadline).
    `ReconnectRequired` marks the connection NEEDS_RECONNECT and fails the post asking the user
    to reconnect; any other platform error, or a connection that is gone, fails it with the
    reason. Nothing is ever sent again. A post that has ended, or that was not sent yet, is
    returned as it is.
    """

    async def execute(self, command: RefreshPostStatusCommand) -> RefreshPostStatusResult:
        async with self._uow() as uow:
            post = await uow.posts.get_any(command.post_id)
            connection = await uow.connections.get(post.user_id, post.provider)
            video = await uow.videos.get_any(post.video_id)
        if post.status is not PostStatus.PUBLISHING or post.publish_id is None:
            return RefreshPostStatusResult(post.id, post.status)
        answer = await self._step(post, post.publish_id, connection, video)
        return await self._apply(post.id, answer)

    async def _step(
        self, post: Post, ref: str, connection: SocialConnection | None, video: Video
    ) -> PublishStatus:
        try:
            publisher, tokens, request = await self._sender.ready(post, connection, video)
            return await publisher.advance_publish(tokens, ref, request)
        except ReconnectRequired:
            await self._tokens.mark_needs_reconnect(post.user_id, post.provider)
            return _failed(reconnect_message(post.provider))
        except ProviderUnavailable:  # each step can be repeated: try again later
            return PublishStatus(PublishState.PROCESSING)
        except DomainError as error:
            return _failed(error.message)

    async def _apply(self, post_id: PostId, answer: PublishStatus) -> RefreshPostStatusResult:
        async with self._uow() as uow:
            post = await uow.posts.get_any(post_id)
            if post.status is not PostStatus.PUBLISHING:  # settled meanwhile by another step
                return RefreshPostStatusResult(post.id, post.status)
            now = self._clock.now()
            if answer.ref is not None and answer.ref != post.publish_id:
                post.record_upload(answer.ref, now)
            if answer.state is PublishState.PUBLISHED:
                provider_post_id = answer.provider_post_id or post.publish_id or ""
                post.mark_published(provider_post_id, answer.post_url, now)
            elif answer.state is PublishState.FAILED:
                post.mark_failed(answer.error or "the platform refused the post", now)
            else:
                post.checks += 1
                post.updated_at = now
                if post.checks >= self._timing.post_max_checks:
                    post.mark_failed(TOO_SLOW, now)
                else:
                    await uow.jobs.defer(
                        Job(
                            JobName.REFRESH_POST,
                            {"post_id": post.id},
                            run_at=now + self._timing.post_check_delay,
                        )
                    )
            await uow.posts.save(post)
            await uow.commit()
        return RefreshPostStatusResult(post.id, post.status)


def _failed(error: str) -> PublishStatus:
    return PublishStatus(PublishState.FAILED, error=error)


__all__ = [
    "TOO_SLOW",
    "RefreshPostStatus",
    "RefreshPostStatusCommand",
    "RefreshPostStatusResult",
]
