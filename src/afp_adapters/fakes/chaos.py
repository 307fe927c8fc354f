"""`ChaosVideoGenerator`: a render provider with real latency, random failures and callbacks.

For soak runs on the real clock. Every call sleeps a random latency; submits and status calls
sometimes fail with `ProviderUnavailable` (retryable, never an outcome-unknown error); a task
renders for a random time and then succeeds or fails for good; when it ends, the provider's
callback (an injected coroutine, as the HTTP webhook would call `HandleVideoCallback`) is
delivered once, twice, late or never. Draws come from one seeded `random.Random`; timing is
the event loop's. Inspect `.calls`, `.status_by_phase`, `.callbacks_delivered`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import attrs

from afp_adapters.fakes.video import fake_mp4
from afp_core.domain.errors import ProviderRejected, ProviderUnavailable
from afp_core.domain.video import FailureKind
from afp_core.ports.generation import TaskState, TaskStatus, VideoRequest

Callback = Callable[[str], Awaitable[object]]  # receives the task id
_RESULT_PREFIX = "https://chaos.invalid/"


@attrs.define
class _Task:
    task_id: str
    submitted_at: float
    render_s: float
    fails: bool
    callback_delivered: bool = False

    def finished(self, now: float) -> bool:
        return now >= self.submitted_at + self.render_s


class ChaosVideoGenerator:
    """Implements `VideoGenerator` with real (small) latency and random trouble.

    `status_by_phase` counts status calls by what the task was doing when asked: `running`
    (asked before the render ended: a schedule poll), `after_callback` (ended and its callback
    already delivered), `before_callback` (ended, callback late or lost: a schedule poll),
    `error` (answered with a retryable error) and `unknown`.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        latency: tuple[float, float] = (0.001, 0.020),
        render_time: tuple[float, float] = (0.5, 4.0),
        fail_rate: float = 0.05,
        submit_error_rate: float = 0.05,
        status_error_rate: float = 0.05,
        callback: Callback | None = None,
        callback_duplicate_rate: float = 0.1,
        callback_late_rate: float = 0.1,
        callback_late_by: tuple[float, float] = (1.0, 5.0),
        callback_loss_rate: float = 0.02,
    ) -> None:
        self._random = random.Random(seed)  # noqa: S311 - test randomness, not security
        self.latency = latency
        self.render_time = render_time
        self.fail_rate = fail_rate
        self.submit_error_rate = submit_error_rate
        self.status_error_rate = status_error_rate
        self.callback = callback
        self.callback_duplicate_rate = callback_duplicate_rate
        self.callback_late_rate = callback_late_rate
        self.callback_late_by = callback_late_by
        self.callback_loss_rate = callback_loss_rate
        self._tasks: dict[str, _Task] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self.calls: Counter[str] = Counter()  # submit, status, download
        self.status_by_phase: Counter[str] = Counter()
        self.submit_errors = 0
        self.callbacks_delivered = 0
        self.callbacks_lost = 0
        self.callback_errors: list[str] = []

    async def _latency(self) -> None:
        await asyncio.sleep(self._random.uniform(*self.latency))

    async def submit(self, request: VideoRequest) -> str:
        self.calls["submit"] += 1
        await self._latency()
        if self._random.random() < self.submit_error_rate:
            self.submit_errors += 1
            raise ProviderUnavailable("chaos provider: 503 Service Unavailable")
        task = _Task(
            task_id=f"task_chaos_{len(self._tasks) + 1:06d}",
            submitted_at=time.monotonic(),
            render_s=self._random.uniform(*self.render_time),
            fails=self._random.random() < self.fail_rate,
        )
        self._tasks[task.task_id] = task
        self._plan_callbacks(task)
        return task.task_id

    async def status(self, task_id: str) -> TaskStatus:
        self.calls["status"] += 1
        await self._latency()
        task = self._tasks.get(task_id)
        if task is None:
            self.status_by_phase["unknown"] += 1
            return TaskStatus(TaskState.PENDING, message="task not visible yet")
        if self._random.random() < self.status_error_rate:
            self.status_by_phase["error"] += 1
            raise ProviderUnavailable("chaos provider: 502 Bad Gateway")
        now = time.monotonic()
        if not task.finished(now):
            self.status_by_phase["running"] += 1
            progress = int(99 * (now - task.submitted_at) / task.render_s)
            return TaskStatus(TaskState.RUNNING, progress=progress)
        phase = "after_callback" if task.callback_delivered else "before_callback"
        self.status_by_phase[phase] += 1
        if task.fails:
            return TaskStatus(
                TaskState.FAILED, failure=FailureKind.TERMINAL, message="content policy violation"
            )
        return TaskStatus(TaskState.SUCCEEDED, result_url=f"{_RESULT_PREFIX}{task_id}.mp4")

    async def download(self, result_url: str) -> bytes:
        self.calls["download"] += 1
        await self._latency()
        if not result_url.startswith(_RESULT_PREFIX):
            raise ProviderRejected(f"unknown result URL {result_url}")
        return fake_mp4(result_url.rsplit("/", 1)[-1])

    # ---------------------------------------------------------------- callbacks
    def _plan_callbacks(self, task: _Task) -> None:
        if self.callback is None:
            return
        if self._random.random() < self.callback_loss_rate:
            self.callbacks_lost += 1
            return
        delays = [task.render_s]
        if self._random.random() < self.callback_late_rate:
            delays[0] += self._random.uniform(*self.callback_late_by)
        if self._random.random() < self.callback_duplicate_rate:
            delays.append(delays[0] + self._random.uniform(0.0, 1.0))
        for delay in delays:
            pending = asyncio.get_running_loop().create_task(self._deliver(task, delay))
            self._pending.add(pending)
            pending.add_done_callback(self._pending.discard)

    async def _deliver(self, task: _Task, delay: float) -> None:
        assert self.callback is not None  # noqa: S101 - only planned with a callback
        await asyncio.sleep(delay)
        task.callback_delivered = True
        self.callbacks_delivered += 1
        try:
            await self.callback(task.task_id)
        except Exception as error:  # the webhook would answer 500: counted, never raised
            self.callback_errors.append(repr(error))

    @property
    def callbacks_pending(self) -> int:
        return len(self._pending)

    async def drain(self) -> None:
        """Wait for every callback still to be delivered (late ones included)."""
        while self._pending:
            await asyncio.gather(*list(self._pending))

    def task_ids(self) -> list[str]:
        return list(self._tasks)


__all__ = ["Callback", "ChaosVideoGenerator"]
