"""RefreshPostStatus: ask the platform how a publishing post is doing and settle it."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from afp_core.domain.errors import DomainError, ProviderUnavailable
from afp_core.domain.ids import PostId
from afp_core.domain.jobs import Job, JobName
from afp_core.domain.policy import SocialTiming
from afp_core.domain.social import (
    ConnectionStatus,
    PostStatus,
    SocialConnection,
    SocialProvider,
)
from afp_core.ports.commerce import PublishState, PublishStatus, SocialPublisher, TokenCipher
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._social_tokens import usable_tokens

TOO_SLOW = "the platform did not finish in time"


@attrs.frozen
class RefreshPostStatusCommand:
    post_id: PostId


@attrs.frozen
class RefreshPostStatusResult:
    post_id: PostId
    status: PostStatus


class RefreshPostStatus:
    """Settle a PUBLISHING post by polling its platform (the `refresh_post` job).

    PUBLISHED and FAILED answers settle the post; a PROCESSING answer (or a platform that is
    briefly unavailable) counts a check and schedules another after `timing.post_check_delay`,
    until `timing.post_max_checks` checks fail the post. Any other platform error, or a
    connection that is gone, fails the post with the reason. A post that is not PUBLISHING (or
    whose upload never started) is returned as it is.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[SocialProvider, SocialPublisher],
        cipher: TokenCipher,
        clock: Clock,
        timing: SocialTiming | None = None,
    ) -> None:
        self._uow = uow
        self._publishers = publishers
        self._cipher = cipher
        self._clock = clock
        self._timing = timing or SocialTiming()

    async def execute(self, command: RefreshPostStatusCommand) -> RefreshPostStatusResult:
        async with self._uow() as uow:
            post = await uow.posts.get_any(command.post_id)
            connection = await uow.connections.get(post.user_id, post.provider)
        if post.status is not PostStatus.PUBLISHING or post.publish_id is None:
            return RefreshPostStatusResult(post.id, post.status)
        answer = await self._ask(post.provider, connection, post.publish_id)
        return await self._apply(post.id, post.publish_id, answer)

    async def _ask(
        self, provider: SocialProvider, connection: SocialConnection | None, publish_id: str
    ) -> PublishStatus:
        publisher = self._publishers.get(provider)
        if publisher is None:
            return PublishStatus(
                PublishState.FAILED, error=f"publishing to {provider.value} is not available"
            )
        if connection is None or connection.status is not ConnectionStatus.CONNECTED:
            return PublishStatus(
                PublishState.FAILED,
                error=f"the {provider.value} account was disconnected before the post was "
                "confirmed",
            )
        try:
            tokens = await usable_tokens(
                self._uow, self._cipher, publisher, connection, self._clock.now()
            )
            return await publisher.status(tokens, publish_id)
        except ProviderUnavailable:
            return PublishStatus(PublishState.PROCESSING)
        except DomainError as exc:
            return PublishStatus(PublishState.FAILED, error=exc.message)
        except ValueError:  # the stored tokens no longer decrypt with the key ring
            return PublishStatus(
                PublishState.FAILED, error="the saved sign-in is unreadable; connect again"
            )

    async def _apply(
        self, post_id: PostId, publish_id: str, answer: PublishStatus
    ) -> RefreshPostStatusResult:
        async with self._uow() as uow:
            post = await uow.posts.get_any(post_id)
            if post.status is not PostStatus.PUBLISHING:  # settled meanwhile by another check
                return RefreshPostStatusResult(post.id, post.status)
            now = self._clock.now()
            if answer.state is PublishState.PUBLISHED:
                post.mark_published(answer.provider_post_id or publish_id, answer.post_url, now)
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


__all__ = [
    "TOO_SLOW",
    "RefreshPostStatus",
    "RefreshPostStatusCommand",
    "RefreshPostStatusResult",
]
