"""`FakeVideoGenerator`: a scriptable render provider with latency and failure modes."""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping

import attrs

from afp_core.domain.errors import ProviderOutOfCredits, ProviderRejected, ProviderUnavailable
from afp_core.domain.video import FailureKind
from afp_core.ports.generation import TaskState, TaskStatus, VideoRequest


class Outcome(enum.StrEnum):
    SUCCEED = "succeed"
    FAIL = "fail"  # the render fails for good (content policy)
    NEVER_FINISH = "never_finish"  # stays RUNNING forever (to exercise deadlines)


@attrs.frozen
class Scenario:
    """How the provider treats one task."""

    outcome: Outcome = Outcome.SUCCEED
    polls_before_done: int = 1  # status calls answering RUNNING before the outcome shows
    submit_errors: tuple[FailureKind, ...] = ()  # errors raised by successive submits first
    status_errors: int = 0  # status calls raising ProviderUnavailable first
    failure_message: str = "content policy violation"


def fake_mp4(label: str) -> bytes:
    """A small file with a real MP4 `ftyp` header (the local renderer makes real videos)."""
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    payload = f"AFP fake render: {label}".encode()
    mdat = (8 + len(payload)).to_bytes(4, "big") + b"mdat" + payload
    return ftyp + mdat


@attrs.define
class _Task:
    task_id: str
    request: VideoRequest
    scenario: Scenario
    polls: int = 0
    status_errors_left: int = 0


class FakeVideoGenerator:
    """Implements `VideoGenerator`.

    The scenario of a task comes from `rules` (first prompt keyword that matches), else from a
    seeded draw against `failure_rate`, else `default`. Inspect `.submitted`, `.status_calls`.
    """

    def __init__(
        self,
        *,
        default: Scenario | None = None,
        rules: Mapping[str, Scenario] | None = None,
        failure_rate: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.default = default or Scenario()
        self.rules = dict(rules or {})
        self.failure_rate = failure_rate
        self._random = random.Random(seed)  # noqa: S311 - test randomness, not security
        self._tasks: dict[str, _Task] = {}
        self._submit_errors: dict[str, list[FailureKind]] = {}
        self.submitted: list[VideoRequest] = []
        self.submit_calls = 0
        self.status_calls = 0
        self.downloads = 0

    def _scenario(self, request: VideoRequest) -> Scenario:
        prompt = request.spec.prompt.lower()
        for keyword, scenario in self.rules.items():
            if keyword.lower() in prompt:
                return scenario
        if self.failure_rate and self._random.random() < self.failure_rate:
            return attrs.evolve(self.default, outcome=Outcome.FAIL)
        return self.default

    async def submit(self, request: VideoRequest) -> str:
        self.submit_calls += 1
        scenario = self._scenario(request)
        pending = self._submit_errors.setdefault(request.video_id, list(scenario.submit_errors))
        if pending:
            kind = pending.pop(0)
            if kind is FailureKind.RETRYABLE:
                raise ProviderUnavailable("fake provider: 503 Service Unavailable")
            if kind is FailureKind.OUT_OF_CREDITS:
                raise ProviderOutOfCredits("fake provider: 402 insufficient credits")
            raise ProviderRejected("fake provider: 422 prompt rejected")
        task_id = f"task_fake_{len(self._tasks) + 1:06d}"
        self._tasks[task_id] = _Task(
            task_id, request, scenario, status_errors_left=scenario.status_errors
        )
        self.submitted.append(request)
        return task_id

    async def status(self, task_id: str) -> TaskStatus:
        self.status_calls += 1
        task = self._tasks.get(task_id)
        if task is None:
            return TaskStatus(TaskState.PENDING, message="task not visible yet")
        if task.status_errors_left:
            task.status_errors_left -= 1
            raise ProviderUnavailable("fake provider: 502 Bad Gateway")
        task.polls += 1
        scenario = task.scenario
        if scenario.outcome is Outcome.NEVER_FINISH or task.polls <= scenario.polls_before_done:
            return TaskStatus(TaskState.RUNNING, progress=min(99, 30 * task.polls))
        if scenario.outcome is Outcome.FAIL:
            return TaskStatus(
                TaskState.FAILED, failure=FailureKind.TERMINAL, message=scenario.failure_message
            )
        return TaskStatus(
            TaskState.SUCCEEDED, result_url=f"https://fake.invalid/{task_id}.mp4", progress=100
        )

    async def download(self, result_url: str) -> bytes:
        self.downloads += 1
        if not result_url.startswith("https://fake.invalid/"):
            raise ProviderRejected(f"unknown result URL {result_url}")
        return fake_mp4(result_url.rsplit("/", 1)[-1])

    def task_ids(self) -> list[str]:
        return list(self._tasks)
