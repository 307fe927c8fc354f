r"""The video lifecycle.

```
QUEUED -> SUBMITTED -> RENDERING -> STORING -> COMPLETED
   \________\______________\___________\-----> FAILED | CANCELLED
```
Starting a video holds its price; completing captures it; failing or cancelling releases it,
exactly once. The aggregate only moves along the edges above and raises `IllegalTransition`
otherwise; settling the money is the use case's job, guided by `settlement`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from afp_core.domain.errors import IllegalTransition
from afp_core.domain.ids import BatchId, BatchItemId, HoldId, UserId, VideoId


class VideoStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    SUBMITTED = "SUBMITTED"
    RENDERING = "RENDERING"
    STORING = "STORING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({VideoStatus.COMPLETED, VideoStatus.FAILED, VideoStatus.CANCELLED})

_FORWARD: Mapping[VideoStatus, frozenset[VideoStatus]] = {
    VideoStatus.QUEUED: frozenset({VideoStatus.SUBMITTED}),
    VideoStatus.SUBMITTED: frozenset({VideoStatus.RENDERING, VideoStatus.STORING}),
    VideoStatus.RENDERING: frozenset({VideoStatus.RENDERING, VideoStatus.STORING}),
    VideoStatus.STORING: frozenset({VideoStatus.COMPLETED}),
}

ALLOWED: Mapping[VideoStatus, frozenset[VideoStatus]] = {
    status: (
        _FORWARD.get(status, frozenset())
        | (frozenset() if status.is_terminal else {VideoStatus.FAILED, VideoStatus.CANCELLED})
    )
    for status in VideoStatus
}


class FailureKind(enum.StrEnum):
    """How a provider outcome maps to the domain (adapters classify, the core decides)."""

    RETRYABLE = "retryable"  # timeouts, 429, 5xx: try again later
    TERMINAL = "terminal"  # content policy, validation: fail the video, release the hold
    OUT_OF_CREDITS = "out_of_credits"  # our provider account is empty: pause, alert admin


class Funding(enum.StrEnum):
    """Whose hold pays for the video."""

    OWN_HOLD = "own_hold"  # a hold of exactly the video's price
    BATCH_HOLD = "batch_hold"  # a share of its batch's hold


@attrs.frozen
class VideoSpec:
    """What to render."""

    model: str
    prompt: str
    duration_s: int
    aspect_ratio: str
    image_urls: tuple[str, ...] = ()
    script_text: str = ""


@attrs.define
class Video:
    """One video job and everything needed to finish it exactly once."""

    id: VideoId
    user_id: UserId
    spec: VideoSpec
    price: int
    hold_id: HoldId
    created_at: datetime
    updated_at: datetime
    deadline: datetime
    funding: Funding = Funding.OWN_HOLD
    batch_id: BatchId | None = None
    batch_item_id: BatchItemId | None = None
    status: VideoStatus = VideoStatus.QUEUED
    product: Mapping[str, object] = attrs.field(factory=dict)
    assessment: Mapping[str, object] = attrs.field(factory=dict)
    provider_task_id: str | None = None
    attempts: int = 0
    polls: int = 0
    error_reason: str | None = None
    result_key: str | None = None
    result_url: str | None = None
    history: list[tuple[VideoStatus, datetime]] = attrs.field(factory=list)
    # set, and committed, before each create call; cleared when its outcome is known: a video
    # found QUEUED with it set had a create call whose outcome nobody saw (a crash mid-call)
    submit_started_at: datetime | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    def _move(self, to: VideoStatus, now: datetime) -> None:
        if to not in ALLOWED[self.status]:
            raise IllegalTransition(
                f"video {self.id} cannot go from {self.status.value} to {to.value}"
            )
        self.status = to
        self.updated_at = now
        self.history.append((to, now))

    def record_attempt(self, now: datetime) -> None:
        self.attempts += 1
        self.updated_at = now

    def begin_submit(self, now: datetime) -> None:
        """A create call is about to be made (the recovery point before the provider call)."""
        if self.status is not VideoStatus.QUEUED:
            raise IllegalTransition(f"video {self.id} is {self.status.value}, not queued")
        if self.submit_started_at is not None:
            raise IllegalTransition(f"video {self.id} has a create call in flight already")
        self.record_attempt(now)
        self.submit_started_at = now

    def submit_not_made(self, now: datetime) -> None:
        """The create call is known not to have created anything (refused before it ran)."""
        self.submit_started_at = None
        self.updated_at = now

    def mark_submitted(self, task_id: str, now: datetime) -> None:
        if not task_id:
            raise IllegalTransition("a submitted video needs a provider task id")
        self._move(VideoStatus.SUBMITTED, now)
        self.provider_task_id = task_id
        self.submit_started_at = None

    def mark_rendering(self, now: datetime) -> None:
        self._move(VideoStatus.RENDERING, now)

    def mark_storing(self, now: datetime) -> None:
        self._move(VideoStatus.STORING, now)

    def mark_completed(self, result_key: str, result_url: str, now: datetime) -> None:
        self._move(VideoStatus.COMPLETED, now)
        self.result_key = result_key
        self.result_url = result_url

    def mark_failed(self, reason: str, now: datetime) -> None:
        self._move(VideoStatus.FAILED, now)
        self.error_reason = reason

    def mark_cancelled(self, now: datetime, reason: str = "cancelled by the user") -> None:
        self._move(VideoStatus.CANCELLED, now)
        self.error_reason = reason


__all__ = [
    "ALLOWED",
    "TERMINAL",
    "FailureKind",
    "Funding",
    "Video",
    "VideoSpec",
    "VideoStatus",
]
