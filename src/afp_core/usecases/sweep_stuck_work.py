"""SweepStuckWork: the recurring sweeper (the `sweep` job) — nothing stays stuck for good."""

from __future__ import annotations

from datetime import datetime

import attrs

from afp_core.domain.jobs import Job, JobName
from afp_core.domain.policy import SocialTiming, VideoTiming
from afp_core.domain.social import Post
from afp_core.domain.video import Video, VideoStatus
from afp_core.ports.commerce import JobQueue
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._recovery import defer_failure, expire_due_holds, unconfirmed_submit

NO_PROGRESS = "no progress before the deadline"
POST_NEVER_STARTED = (
    "publishing stopped before the video was sent; nothing reached the platform: publish again"
)
POST_IN_DOUBT = (
    "publishing stopped while the video was being sent; the platform may have received it:"
    " check your account before publishing again"
)


@attrs.frozen
class SweepStuckWorkCommand:
    limit: int = 500  # videos and holds looked at per sweep; the next sweep takes the rest


@attrs.frozen
class SweepStuckWorkResult:
    jobs_requeued: int
    videos_failed: int  # settlements (as failed) scheduled
    holds_expired: int
    credits_released: int
    posts_failed: int = 0
    posts_resumed: int = 0


class SweepStuckWork:
    """Find work nobody will finish and finish it, without ever charging for it.

    1. Jobs `running` longer than `timing.job_lease` lost their worker: back to `waiting`
       (first, so a lost settlement that was already decided runs before anything else).
    2. Videos that have not ended and passed their deadline are failed through `settle_video`
       (which releases their credits); a QUEUED video whose create call has been in flight for
       `timing.submit_in_doubt_after` fails as `SubmitVideo` fails it (never resubmitted, so
       a render is never paid for twice). One settlement per video: a waiting one decides.
    3. Holds past their expiry release their open remainder (as `ExpireHolds`).
    4. Posts still PUBLISHING whose last step is older than `social.post_stale_after` lost
       their job for good: one never sent fails (publishing again is safe), one whose send may
       have happened without a reference fails as in doubt (never re-published), one with a
       reference gets a new `refresh_post` step, counted against its deadline.
    Every step is idempotent, so sweeps may overlap or repeat.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        jobs: JobQueue,
        clock: Clock,
        timing: VideoTiming | None = None,
        social: SocialTiming | None = None,
    ) -> None:
        self._uow = uow
        self._jobs = jobs
        self._clock = clock
        self._timing = timing or VideoTiming()
        self._social = social or SocialTiming()

    async def execute(self, command: SweepStuckWorkCommand) -> SweepStuckWorkResult:
        now = self._clock.now()
        requeued = await self._jobs.requeue_stale(now - self._timing.job_lease)
        in_doubt_before = now - self._timing.submit_in_doubt_after
        failed = 0
        async with self._uow() as uow:
            stuck = await uow.videos.stuck(
                now, submit_started_before=in_doubt_before, limit=command.limit
            )
            for video in stuck:
                reason = _why_failed(video, in_doubt_before)
                if reason is not None:
                    await defer_failure(uow, video.id, reason, now)
                    failed += 1
            receipts = await expire_due_holds(uow, now, limit=command.limit)
            posts_failed = posts_resumed = 0
            stale = await uow.posts.stale(now - self._social.post_stale_after, limit=command.limit)
            for post in stale:
                if self._revive(post, now):
                    await uow.jobs.defer(
                        Job(JobName.REFRESH_POST, {"post_id": post.id}, run_at=now)
                    )
                    posts_resumed += 1
                else:
                    posts_failed += 1
                await uow.posts.save(post)
            await uow.commit()
        return SweepStuckWorkResult(
            requeued,
            failed,
            len(receipts),
            sum(r.amount for r in receipts),
            posts_failed,
            posts_resumed,
        )

    def _revive(self, post: Post, now: datetime) -> bool:
        """Resume a stale post (True) or fail it for good (False)."""
        if post.publish_started_at is None:
            post.mark_failed(POST_NEVER_STARTED, now)
            return False
        if post.in_doubt:
            post.mark_failed(POST_IN_DOUBT, now)
            return False
        post.checks += 1
        post.updated_at = now
        if post.checks >= self._social.post_max_checks:
            post.mark_failed("the platform did not finish the post in time", now)
            return False
        return True


def _why_failed(video: Video, in_doubt_before: datetime) -> str | None:
    """The failure reason of a stuck video, or None to leave it be for now (a create call in
    flight that may still answer: `SubmitVideo`'s retry, or a later sweep, decides)."""
    if video.status is VideoStatus.QUEUED and video.submit_started_at is not None:
        if video.submit_started_at >= in_doubt_before:
            return None
        return unconfirmed_submit("the worker stopped during the provider call")
    return NO_PROGRESS
