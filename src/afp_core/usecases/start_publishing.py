"""StartPublishing: send a recorded post to its platform, once (the `publish_post` job)."""

from __future__ import annotations

import attrs

from afp_core.domain.errors import (
    DomainError,
    ProviderOutcomeUnknown,
    ProviderUnavailable,
    ReconnectRequired,
)
from afp_core.domain.ids import PostId
from afp_core.domain.jobs import Job, JobName
from afp_core.domain.social import OAuthTokens, Post, PostStatus
from afp_core.ports.social import PublishRequest, SocialPublisher
from afp_core.usecases._social_posts import IN_DOUBT, TOO_SLOW, PostJob, fail_post
from afp_core.usecases._social_tokens import reconnect_message


@attrs.frozen
class StartPublishingCommand:
    post_id: PostId


@attrs.frozen
class StartPublishingResult:
    post_id: PostId
    status: PostStatus
    sent: bool  # the platform call was made by this run


class StartPublishing(PostJob):
    """Make the one irreversible platform call of a PUBLISHING post.

    Tokens are made usable (refreshed under the connection's lease) and the video is read
    first; then `publish_started_at` is set and committed, and only then is `begin_publish`
    called, so a post is never sent twice: a run that finds the marker set without the
    platform's reference fails the post as in doubt (the platform may have the video). The
    reference is stored at once with a `refresh_post` job that advances the post.

    A platform that is briefly unavailable before anything was sent is tried again later (the
    marker is cleared: it certainly did not get the video), up to `timing.post_max_checks`;
    `ProviderOutcomeUnknown` fails the post as in doubt; `ReconnectRequired` marks the
    connection NEEDS_RECONNECT and fails the post asking the user to reconnect; any other
    platform error (a limit, a quota, a refusal) fails it with the platform's reason.
    """

    async def execute(self, command: StartPublishingCommand) -> StartPublishingResult:
        async with self._uow() as uow:
            post = await uow.posts.get_any(command.post_id)
            if post.status is not PostStatus.PUBLISHING or post.publish_id is not None:
                return _result(post)
            if post.in_doubt:  # an earlier run died during the platform call
                post.mark_failed(IN_DOUBT, self._clock.now())
                await uow.posts.save(post)
                await uow.commit()
                return _result(post)
            connection = await uow.connections.get(post.user_id, post.provider)
            video = await uow.videos.get_any(post.video_id)
        try:
            publisher, tokens, request = await self._sender.ready(post, connection, video)
        except ProviderUnavailable as error:
            return await self._later(post.id, error.message)
        except DomainError as error:
            return await self._fail(post, error.message)
        if not await self._mark_started(post.id):
            return await self._current(post.id)
        return await self._send(post, publisher, tokens, request)

    async def _send(
        self,
        post: Post,
        publisher: SocialPublisher,
        tokens: OAuthTokens,
        request: PublishRequest,
    ) -> StartPublishingResult:
        try:
            ref = await publisher.begin_publish(tokens, request)
        except ProviderOutcomeUnknown:
            return await self._fail(post, IN_DOUBT, sent=True)
        except ReconnectRequired:
            await self._tokens.mark_needs_reconnect(post.user_id, post.provider)
            return await self._fail(post, reconnect_message(post.provider), sent=True)
        except ProviderUnavailable as error:  # refused before anything was received
            return await self._later(post.id, error.message, unmark=True)
        except DomainError as error:
            return await self._fail(post, error.message, sent=True)
        async with self._uow() as uow:
            current = await uow.posts.get_any(post.id)
            if current.status is PostStatus.PUBLISHING:
                now = self._clock.now()
                current.record_upload(ref, now)
                await uow.posts.save(current)
                await uow.jobs.defer(
                    Job(
                        JobName.REFRESH_POST,
                        {"post_id": post.id},
                        run_at=now + self._timing.post_check_delay,
                    )
                )
                await uow.commit()
        return _result(current, sent=True)

    async def _mark_started(self, post_id: PostId) -> bool:
        """Set the marker, committed; False when another run got there first."""
        async with self._uow() as uow:
            post = await uow.posts.get_any(post_id)
            if post.status is not PostStatus.PUBLISHING or post.publish_started_at is not None:
                return False
            post.start_publishing(self._clock.now())
            await uow.posts.save(post)
            await uow.commit()
        return True

    async def _later(
        self, post_id: PostId, reason: str, *, unmark: bool = False
    ) -> StartPublishingResult:
        """Try again after `post_check_delay`, or fail once the post has waited too often."""
        async with self._uow() as uow:
            post = await uow.posts.get_any(post_id)
            if post.status is not PostStatus.PUBLISHING:
                return _result(post)
            now = self._clock.now()
            if unmark:
                post.forget_start(now)
            post.checks += 1
            post.updated_at = now
            if post.checks >= self._timing.post_max_checks:
                post.mark_failed(f"{TOO_SLOW} ({reason})", now)
            else:
                await uow.jobs.defer(
                    Job(
                        JobName.PUBLISH_POST,
                        {"post_id": post_id},
                        run_at=now + self._timing.post_check_delay,
                    )
                )
            await uow.posts.save(post)
            await uow.commit()
        return _result(post)

    async def _fail(self, post: Post, error: str, *, sent: bool = False) -> StartPublishingResult:
        return _result(await fail_post(self._uow, post.id, error, self._clock), sent=sent)

    async def _current(self, post_id: PostId) -> StartPublishingResult:
        async with self._uow(read_only=True) as uow:
            return _result(await uow.posts.get_any(post_id))


def _result(post: Post, *, sent: bool = False) -> StartPublishingResult:
    return StartPublishingResult(post.id, post.status, sent)


__all__ = ["StartPublishing", "StartPublishingCommand", "StartPublishingResult"]
