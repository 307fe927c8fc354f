"""Task records (Veo record-info, jobs recordInfo, callbacks) into `TaskStatus`, defensively.

Result URLs hide in many places: `response.resultUrls` (Veo, newer jobs), `resultJson` (a JSON
*string* on jobs), `info.resultUrls` (Veo callbacks, sometimes typed as the string "[http://…]"),
`originUrls`, `fullResultUrls`, `resultWaterMarkUrls`. The first http(s) URL found wins, clean
results before watermarked ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from afp_adapters.kie._envelope import as_int, looks_like_policy
from afp_core.domain.video import FailureKind
from afp_core.ports.generation import TaskState, TaskStatus

_URL_KEYS = (
    "resultUrls",
    "result_urls",
    "resultUrl",
    "result_url",
    "videoUrl",
    "video_url",
    "originUrls",
    "origin_urls",
    "fullResultUrls",
    "resultWaterMarkUrls",
)
_CONTAINERS = ("response", "resultJson", "info", "videoInfo")
_URL_IN_TEXT = re.compile(r"https?://[^\s\"'\],]+")
_MAX_DEPTH = 4

_JOBS_STATES = {
    "wait": TaskState.PENDING,
    "waiting": TaskState.PENDING,
    "queuing": TaskState.PENDING,
    "queueing": TaskState.PENDING,
    "pending": TaskState.PENDING,
    "generating": TaskState.RUNNING,
    "running": TaskState.RUNNING,
    "processing": TaskState.RUNNING,
    "success": TaskState.SUCCEEDED,
    "succeeded": TaskState.SUCCEEDED,
    "fail": TaskState.FAILED,
    "failed": TaskState.FAILED,
    "error": TaskState.FAILED,
}
_FLAGS = {0: TaskState.RUNNING, 1: TaskState.SUCCEEDED, 2: TaskState.FAILED, 3: TaskState.FAILED}


def _is_http(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in text


def _decoded(value: object) -> object:
    if isinstance(value, str) and value.strip()[:1] in ("[", "{", '"'):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def first_http_url(value: object, _depth: int = 0) -> str | None:
    """The first http(s) URL in a string, a JSON string, a list or a record."""
    if _depth > _MAX_DEPTH:
        return None
    if isinstance(value, str):
        decoded = _decoded(value)
        if decoded is not value and not isinstance(decoded, str | int | float):
            return first_http_url(decoded, _depth + 1)
        text = value.strip().strip('"')
        if _is_http(text):
            return text
        found = _URL_IN_TEXT.search(text)
        return found.group(0) if found else None
    if isinstance(value, list | tuple):
        for item in value:
            url = first_http_url(item, _depth + 1)
            if url:
                return url
        return None
    if isinstance(value, Mapping):
        if "url" in value:
            url = first_http_url(value["url"], _depth + 1)
            if url:
                return url
        return result_url(value, _depth + 1)
    return None


def result_url(record: Mapping[str, Any], _depth: int = 0) -> str | None:
    """The video URL of a task record or callback `data`, wherever it hides."""
    containers: list[Mapping[str, Any]] = []
    for name in _CONTAINERS:
        inner = _decoded(record.get(name))
        if isinstance(inner, Mapping):
            containers.append(inner)
    containers.append(record)
    for key in _URL_KEYS:
        for container in containers:
            if key in container:
                url = first_http_url(container[key], _depth + 1)
                if url:
                    return url
    return None


def failure_kind(code: object, message: str) -> FailureKind:
    """Content policy and bad input are terminal; timeouts and server errors may pass."""
    number = as_int(code)
    lowered = message.lower()
    if looks_like_policy(message):
        return FailureKind.TERMINAL
    if number in (402, 433):
        return FailureKind.OUT_OF_CREDITS
    if number in (408, 429, 455) or (number is not None and number >= 500 and number != 501):
        return FailureKind.RETRYABLE
    if "timeout" in lowered or "timed out" in lowered:
        return FailureKind.RETRYABLE
    return FailureKind.TERMINAL


def failed(code: object, message: str, default: str) -> TaskStatus:
    text = str(message or "").strip() or default
    number = as_int(code)
    kind = failure_kind(code, text)
    if kind is FailureKind.TERMINAL and looks_like_policy(text):
        text = f"refused by content policy: {text}"
    if number is not None:
        text = f"{text} (Kie code {number})"
    return TaskStatus(TaskState.FAILED, failure=kind, message=text)


def succeeded(record: Mapping[str, Any], notes: list[str]) -> TaskStatus:
    """SUCCEEDED with the result URL. Success without a URL yet (Veo `successFlag` 1 with a
    null `response`, jobs `success` with an empty `resultJson`) is RUNNING: Kie is still
    filling in the record; the core's render deadline bounds the wait."""
    url = result_url(record)
    if url is None:
        return TaskStatus(
            TaskState.RUNNING,
            message="Kie.ai reported success but gave no result URL yet; asking again",
        )
    return TaskStatus(TaskState.SUCCEEDED, result_url=url, message="; ".join(notes), progress=100)


def _progress(value: object) -> int | None:
    number = as_int(value)
    if number is None and isinstance(value, float):
        number = int(value)
    return None if number is None else max(0, min(100, number))


def _veo_notes(record: Mapping[str, Any]) -> list[str]:
    notes = []
    if record.get("fallbackFlag") is True:
        notes.append("made on Kie.ai's fallback path (720p, no 1080p upgrade)")
    response = _decoded(record.get("response"))
    if isinstance(response, Mapping) and isinstance(response.get("resolution"), str):
        notes.append(f"resolution {response['resolution']}")
    return notes


def veo_status(record: object) -> TaskStatus:
    """A Veo record-info `data`: `successFlag` 0 generating, 1 success, 2 and 3 failed."""
    if not isinstance(record, Mapping):
        return TaskStatus(TaskState.PENDING, message="Kie.ai has no record data yet")
    flag = as_int(record.get("successFlag"))
    state = _FLAGS.get(flag) if flag is not None else TaskState.RUNNING
    if state is None:
        return TaskStatus(TaskState.RUNNING, message=f"unknown Veo successFlag {flag}")
    if state is TaskState.SUCCEEDED:
        return succeeded(record, _veo_notes(record))
    if state is TaskState.FAILED:
        default = (
            "Kie.ai could not create the Veo task"
            if flag == 2
            else "the Veo render failed upstream"
        )
        return failed(record.get("errorCode"), str(record.get("errorMessage") or ""), default)
    return TaskStatus(TaskState.RUNNING, progress=_progress(record.get("progress")))


def jobs_status(record: object) -> TaskStatus:
    """A jobs recordInfo `data`: `state` waiting | queuing | generating | success | fail (newer
    answers add `successFlag` 0 / 1 / 3, used when `state` is missing)."""
    if not isinstance(record, Mapping):
        return TaskStatus(TaskState.PENDING, message="Kie.ai has no record data yet")
    raw_state = str(record.get("state") or "").strip().lower()
    if raw_state:
        state = _JOBS_STATES.get(raw_state)
    else:
        flag = as_int(record.get("successFlag"))
        state = _FLAGS.get(flag) if flag is not None else None
    if state is None:
        shown = raw_state or "missing"
        return TaskStatus(TaskState.RUNNING, message=f"unknown Kie.ai task state {shown!r}")
    if state is TaskState.SUCCEEDED:
        return succeeded(record, [])
    if state is TaskState.FAILED:
        return failed(
            record.get("failCode"), str(record.get("failMsg") or ""), "the Kie.ai task failed"
        )
    return TaskStatus(state, progress=_progress(record.get("progress")))


__all__ = [
    "failed",
    "failure_kind",
    "first_http_url",
    "jobs_status",
    "result_url",
    "succeeded",
    "veo_status",
]
