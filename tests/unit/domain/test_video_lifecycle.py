"""The video state machine: every legal edge works, every other edge is rejected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afp_core.domain.errors import IllegalTransition
from afp_core.domain.ids import HoldId, UserId, VideoId
from afp_core.domain.video import ALLOWED, TERMINAL, Video, VideoSpec, VideoStatus

NOW = datetime(2026, 1, 1, tzinfo=UTC)
S = VideoStatus


def video_in(status: VideoStatus) -> Video:
    video = Video(
        id=VideoId("v1"),
        user_id=UserId("u1"),
        spec=VideoSpec("afp-local", "prompt", 8, "9:16"),
        price=3,
        hold_id=HoldId("h1"),
        created_at=NOW,
        updated_at=NOW,
        deadline=NOW + timedelta(hours=1),
    )
    video.status = status
    return video


def move(video: Video, to: VideoStatus) -> None:
    later = NOW + timedelta(minutes=1)
    {
        S.SUBMITTED: lambda: video.mark_submitted("task-1", later),
        S.RENDERING: lambda: video.mark_rendering(later),
        S.STORING: lambda: video.mark_storing(later),
        S.COMPLETED: lambda: video.mark_completed("k", "url", later),
        S.FAILED: lambda: video.mark_failed("boom", later),
        S.CANCELLED: lambda: video.mark_cancelled(later),
        S.QUEUED: lambda: video._move(S.QUEUED, later),
    }[to]()


LEGAL = [(a, b) for a in S for b in S if b in ALLOWED[a]]
ILLEGAL = [(a, b) for a in S for b in S if b not in ALLOWED[a]]


def test_the_edges_are_exactly_those_of_the_design() -> None:
    assert set(LEGAL) == {
        (S.QUEUED, S.SUBMITTED),
        (S.SUBMITTED, S.RENDERING),
        (S.SUBMITTED, S.STORING),
        (S.RENDERING, S.RENDERING),
        (S.RENDERING, S.STORING),
        (S.STORING, S.COMPLETED),
        *(
            (a, end)
            for a in (S.QUEUED, S.SUBMITTED, S.RENDERING, S.STORING)
            for end in (S.FAILED, S.CANCELLED)
        ),
    }
    assert {S.COMPLETED, S.FAILED, S.CANCELLED} == TERMINAL


@pytest.mark.parametrize(("start", "to"), LEGAL)
def test_a_legal_transition_moves_and_is_recorded(start: VideoStatus, to: VideoStatus) -> None:
    video = video_in(start)
    move(video, to)
    assert video.status is to
    assert video.history[-1][0] is to


@pytest.mark.parametrize(("start", "to"), ILLEGAL)
def test_an_illegal_transition_is_rejected_and_changes_nothing(
    start: VideoStatus, to: VideoStatus
) -> None:
    video = video_in(start)
    with pytest.raises(IllegalTransition) as caught:
        move(video, to)
    assert caught.value.code == "illegal_transition"
    assert video.status is start and video.history == []


def test_terminal_states_have_no_way_out() -> None:
    for status in TERMINAL:
        assert ALLOWED[status] == frozenset()


def test_a_submission_needs_a_task_id() -> None:
    with pytest.raises(IllegalTransition):
        video_in(S.QUEUED).mark_submitted("", NOW)


def test_completion_keeps_the_result_and_failure_the_reason() -> None:
    done = video_in(S.STORING)
    done.mark_completed("videos/u1/v1.mp4", "file:///x.mp4", NOW)
    failed = video_in(S.RENDERING)
    failed.mark_failed("content policy", NOW)
    assert (done.result_key, done.result_url) == ("videos/u1/v1.mp4", "file:///x.mp4")
    assert failed.error_reason == "content policy"
