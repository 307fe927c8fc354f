"""Timing and limits the use cases follow. Plain values, overridable from settings."""

from __future__ import annotations

from datetime import timedelta

import attrs


@attrs.frozen
class VideoTiming:
    """How long a video may take and how it is chased."""

    render_deadline: timedelta = timedelta(hours=2)  # past this a video fails and is released
    hold_margin: timedelta = timedelta(hours=22)  # the hold outlives the deadline by this much
    poll_schedule_s: tuple[int, ...] = (15, 20, 30, 45, 60, 90, 120)  # then the last, repeated
    max_submit_attempts: int = 5
    submit_backoff_s: tuple[int, ...] = (5, 15, 45, 120, 300)
    out_of_credits_pause: timedelta = timedelta(minutes=10)
    status_error_backoff_s: int = 30
    # a create call nobody saw end is given this long before it is judged lost (far above any
    # provider timeout, so a slow call is never mistaken for a dead worker)
    submit_in_doubt_after: timedelta = timedelta(minutes=10)
    max_result_bytes: int = 512 * 1024 * 1024  # a larger download fails the video
    sweep_every: timedelta = timedelta(seconds=60)  # how often the sweeper job runs
    # a job `running` longer than this lost its worker and goes back to `waiting` (far above
    # the longest job, a large download, so a slow job is not run twice)
    job_lease: timedelta = timedelta(minutes=15)

    @property
    def hold_ttl(self) -> timedelta:
        return self.render_deadline + self.hold_margin

    def poll_delay(self, polls_done: int) -> timedelta:
        schedule = self.poll_schedule_s
        return timedelta(seconds=schedule[min(polls_done, len(schedule) - 1)])

    def submit_delay(self, attempts_done: int) -> timedelta:
        schedule = self.submit_backoff_s
        return timedelta(seconds=schedule[min(max(attempts_done - 1, 0), len(schedule) - 1)])


@attrs.frozen
class BatchLimits:
    max_rows: int = 1000
    batch_hold_ttl: timedelta = timedelta(days=2)
    user_concurrency: int = 4  # a user's items being made at once (and a batch's window)
    global_concurrency: int = 16  # everyone's batch items being made at once
    busy_delay: timedelta = timedelta(seconds=5)  # an item that may not start yet waits this


@attrs.frozen
class SocialTiming:
    oauth_state_ttl: timedelta = timedelta(minutes=15)
    post_check_delay: timedelta = timedelta(seconds=20)
    # the deadline of a post: this many steps (or waits for a platform that is briefly down)
    post_max_checks: int = 60
    # one worker refreshes a connection's tokens at a time: it holds this lease (longer than any
    # refresh call) and the others wait up to `refresh_wait` for its tokens, looking every step
    refresh_lease: timedelta = timedelta(minutes=2)
    refresh_wait: timedelta = timedelta(seconds=15)
    refresh_wait_step: timedelta = timedelta(milliseconds=250)
    # the recurring `refresh_connections` job: how often, and how far ahead of their expiry it
    # looks at connections (the platform's adapter decides which are due)
    connections_refresh_every: timedelta = timedelta(hours=6)
    connections_refresh_horizon: timedelta = timedelta(days=60)
    # a post still PUBLISHING whose last step is older than this lost its job for good: the
    # sweeper resumes or fails it (far longer than `post_check_delay`)
    post_stale_after: timedelta = timedelta(minutes=30)


__all__ = ["BatchLimits", "SocialTiming", "VideoTiming"]
