"""Result-URL parsing and the mapping of task records to `TaskStatus`."""

from __future__ import annotations

from typing import Any

import pytest

from afp_adapters.kie._records import first_http_url, jobs_status, result_url, veo_status
from afp_core.domain.video import FailureKind
from afp_core.ports.generation import TaskState

URL = "https://cdn.example/v.mp4"


@pytest.mark.parametrize(
    "record",
    [
        {"response": {"resultUrls": [URL]}},
        {"response": {"resultUrls": f'["{URL}"]'}},  # list typed as a JSON string
        {"info": {"resultUrls": f"[{URL}]"}},  # OpenAPI callback schema: "[http://…]"
        {"info": {"resultUrls": URL}},  # a bare string
        {"resultJson": f'{{"resultUrls": ["{URL}"]}}'},  # JSON inside JSON
        {"resultJson": {"result_urls": [URL]}},  # already parsed, snake_case
        {"response": f'{{"resultUrls": ["{URL}"]}}'},  # response as a string
        {"response": {"originUrls": [URL]}},  # only the original
        {"response": {"fullResultUrls": [URL]}},  # only the extended video
        {"resultJson": f'{{"resultWaterMarkUrls": ["{URL}"]}}'},  # watermarked, as a last resort
        {"response": {"resultUrls": ["", None, "ftp://x/y.mp4", "not a url", URL]}},
        {"response": {"resultUrls": [{"url": URL}]}},
        {"resultUrls": [URL]},
        {"data": "ignored", "videoInfo": {"videoUrl": URL}},
    ],
)
def test_the_first_http_url_wins_wherever_it_hides(record: dict[str, Any]) -> None:
    assert result_url(record) == URL


def test_clean_results_beat_watermarked_and_original_ones() -> None:
    record = {
        "resultJson": '{"resultWaterMarkUrls": ["https://w.example/w.mp4"]}',
        "response": {"originUrls": ["https://o.example/o.mp4"], "resultUrls": [URL]},
    }
    assert result_url(record) == URL


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"resultJson": ""},
        {"resultJson": None},
        {"resultJson": "{not json"},
        {"resultJson": '{"resultObject": {"text": "hi"}}'},
        {"response": None},
        {"response": {"resultUrls": []}},
        {"response": {"resultUrls": ["javascript:alert(1)"]}},
    ],
)
def test_records_without_a_url_give_none(record: dict[str, Any]) -> None:
    assert result_url(record) is None


def test_deeply_nested_json_strings_stop_somewhere() -> None:
    value: object = URL
    for _ in range(10):
        value = [value]
    assert first_http_url(value) is None
    assert first_http_url([[URL]]) == URL


@pytest.mark.parametrize(
    ("flag", "state"),
    [(0, TaskState.RUNNING), ("0", TaskState.RUNNING), (None, TaskState.RUNNING)],
)
def test_veo_running_flags(flag: object, state: TaskState) -> None:
    assert veo_status({"successFlag": flag, "response": None}).state is state


def test_veo_success_as_a_string_flag_notes_a_fallback_render() -> None:
    status = veo_status(
        {"successFlag": "1", "fallbackFlag": True, "response": {"resultUrls": [URL]}}
    )
    assert (status.state, status.result_url, status.progress) == (TaskState.SUCCEEDED, URL, 100)
    assert "fallback" in status.message


@pytest.mark.parametrize(
    ("record", "failure", "words"),
    [
        ({"successFlag": 2}, FailureKind.TERMINAL, "could not create"),
        (
            {"successFlag": 3, "errorCode": 500, "errorMessage": "timeout"},
            FailureKind.RETRYABLE,
            "500",
        ),
        (
            {"successFlag": 3, "errorCode": 400, "errorMessage": "flagged as violating policies"},
            FailureKind.TERMINAL,
            "content policy",
        ),
        (
            {"successFlag": 3, "errorCode": 501, "errorMessage": "failed"},
            FailureKind.TERMINAL,
            "501",
        ),
    ],
)
def test_veo_failures_are_classified(
    record: dict[str, Any], failure: FailureKind, words: str
) -> None:
    status = veo_status(record)
    assert (status.state, status.failure) == (TaskState.FAILED, failure)
    assert words in status.message


def test_success_without_a_url_yet_keeps_polling_instead_of_failing() -> None:
    # Kie fills the record in after flipping the flag: FAILED here would refund a render that
    # is about to appear; the core's render deadline bounds the wait
    for status in (
        veo_status({"successFlag": 1, "response": {"resultUrls": []}}),
        veo_status({"successFlag": 1, "response": None}),
        jobs_status({"state": "success", "resultJson": ""}),
        jobs_status({"state": "success", "resultJson": None}),
        jobs_status({"successFlag": 1}),
    ):
        assert (status.state, status.failure, status.result_url) == (
            TaskState.RUNNING,
            None,
            None,
        )
        assert "no result URL yet" in status.message


@pytest.mark.parametrize(
    ("record", "state"),
    [
        ({"state": "waiting"}, TaskState.PENDING),
        ({"state": "queuing"}, TaskState.PENDING),
        ({"state": "generating"}, TaskState.RUNNING),
        ({"state": "GENERATING "}, TaskState.RUNNING),
        ({"successFlag": 0}, TaskState.RUNNING),
        ({"successFlag": 1, "response": {"resultUrls": [URL]}}, TaskState.SUCCEEDED),
        ({"successFlag": 3, "failMsg": "boom"}, TaskState.FAILED),
        ({"state": "teleporting"}, TaskState.RUNNING),
        ({}, TaskState.RUNNING),
        (None, TaskState.PENDING),
    ],
)
def test_jobs_states(record: dict[str, Any] | None, state: TaskState) -> None:
    assert jobs_status(record).state is state


def test_jobs_progress_is_read_and_clamped() -> None:
    assert jobs_status({"state": "generating", "progress": "45"}).progress == 45
    assert jobs_status({"state": "generating", "progress": 140}).progress == 100
    assert jobs_status({"state": "generating", "progress": ""}).progress is None


@pytest.mark.parametrize(
    ("code", "message", "failure"),
    [
        ("422", "Invalid prompt: prompt contains prohibited content", FailureKind.TERMINAL),
        ("500", "Internal server error", FailureKind.RETRYABLE),
        (None, "generation timed out", FailureKind.RETRYABLE),
        ("", "", FailureKind.TERMINAL),
        ("402", "credits insufficient", FailureKind.OUT_OF_CREDITS),
    ],
)
def test_jobs_failures_are_classified(code: object, message: str, failure: FailureKind) -> None:
    status = jobs_status({"state": "fail", "failCode": code, "failMsg": message})
    assert (status.state, status.failure) == (TaskState.FAILED, failure)
    assert status.message
