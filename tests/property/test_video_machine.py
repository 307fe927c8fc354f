"""L7 and friends through the use cases: whatever order starts, provider outcomes, duplicate
and late reports, cancels, callbacks, clock jumps and hold expiry arrive in, a failed or
cancelled video is never charged and a completed one is charged exactly its price."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from afp_adapters.fakes import FakeVideoGenerator, Outcome, Scenario
from afp_core.domain.errors import DomainError
from afp_core.domain.ids import UserId, VideoId
from afp_core.domain.ledger import EntryType, HoldStatus
from afp_core.domain.video import FailureKind, VideoStatus
from afp_core.usecases import (
    CancelVideoCommand,
    ExpireHoldsCommand,
    HandleVideoCallbackCommand,
    SettleVideoCommand,
)
from tests.world import World

T = TypeVar("T")
PROMPT_RULES = {
    "fails": Scenario(outcome=Outcome.FAIL),
    "hangs": Scenario(outcome=Outcome.NEVER_FINISH),
    "flaky": Scenario(submit_errors=(FailureKind.RETRYABLE,), status_errors=2),
}


class VideoMachine(RuleBasedStateMachine):
    videos = Bundle("videos")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.world = World(generator=FakeVideoGenerator(rules=PROMPT_RULES))
        self.user: UserId = self.run(self.world.user(credits=400))
        self.started: list[VideoId] = []
        self.keys: dict[str, VideoId] = {}

    def teardown(self) -> None:
        self.loop.close()

    def run(self, coro: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coro)  # type: ignore[arg-type]

    def attempt(self, coro: Awaitable[object]) -> None:
        with contextlib.suppress(DomainError):
            self.run(coro)

    @rule(
        target=videos,
        model=st.sampled_from(["afp-local", "veo3_fast", "sora-2"]),
        flavour=st.sampled_from(["", "fails", "hangs", "flaky"]),
        key=st.none() | st.sampled_from(["k1", "k2", "k3"]),
    )
    def start(self, model: str, flavour: str, key: str | None) -> VideoId:
        duration = 10 if model == "sora-2" else 8
        refused: DomainError | None = None
        try:
            result = self.run(
                self.world.start_video(
                    self.user, model=model, prompt=flavour, duration_s=duration, idempotency_key=key
                )
            )
        except DomainError as error:  # insufficient credits, or a key reused for another request
            refused = error
        if refused is not None:
            assert refused.code in ("insufficient_credits", "idempotency_conflict"), refused
            return self.started[0] if self.started else VideoId("none")
        if key is not None:
            assert self.keys.setdefault(key, result.video_id) == result.video_id
        if not result.replayed:
            self.started.append(result.video_id)
        return result.video_id

    @rule(jobs=st.integers(min_value=1, max_value=6))
    def run_some_jobs(self, jobs: int) -> None:
        self.run(self.world.runner.run_due(limit=jobs))

    @rule()
    def run_everything(self) -> None:
        self.run(self.world.run_jobs())

    @rule()
    def drain_past_every_deadline(self) -> None:
        """Given time and a working worker, every video ends: none is stuck, whatever
        happened to it or its hold before."""
        self.world.clock.advance(3 * 3600)
        self.run(self.world.run_jobs())
        for video_id in self.started:
            video = self.run(self.world.video(video_id))
            assert video.is_terminal, (video.id, video.status, video.error_reason)

    @rule(seconds=st.sampled_from([5, 30, 600, 3 * 3600, 30 * 3600]))
    def advance_clock(self, seconds: int) -> None:
        self.world.clock.advance(seconds)

    @rule()
    def sweep_expired_holds(self) -> None:
        self.run(self.world.c.expire_holds().execute(ExpireHoldsCommand()))

    @rule(video=videos)
    def cancel(self, video: VideoId) -> None:
        self.attempt(self.world.c.cancel_video().execute(CancelVideoCommand(self.user, video)))

    @rule(video=videos)
    def report_failure(self, video: VideoId) -> None:
        self.attempt(
            self.world.c.settle_video().execute(
                SettleVideoCommand(video, "failed", reason="reported failure")
            )
        )

    @rule(video=videos)
    def report_success(self, video: VideoId) -> None:
        self.attempt(
            self.world.c.settle_video().execute(
                SettleVideoCommand(
                    video,
                    "completed",
                    result_key=f"late/{video}",
                    result_url=f"memory://late/{video}",
                )
            )
        )

    @rule(video=videos)
    def callback(self, video: VideoId) -> None:
        if video in self.started:
            task = self.run(self.world.video(video)).provider_task_id
            if task:
                self.run(
                    self.world.c.handle_video_callback().execute(HandleVideoCallbackCommand(task))
                )

    @invariant()
    def credits_follow_video_outcomes(self) -> None:
        balance = self.run(self.world.balance(self.user))
        entries = self.run(self.world.entries(self.user))
        assert balance.balance >= 0 and balance.reserved >= 0 and balance.available >= 0  # L1
        assert balance.balance == sum(e.amount for e in entries)  # L2
        captured: dict[str, int] = {}
        for entry in entries:
            if entry.type is EntryType.USAGE:
                captured[str(entry.hold_id)] = captured.get(str(entry.hold_id), 0) - entry.amount
        open_total = 0
        for video_id in self.started:
            video = self.run(self.world.video(video_id))
            charged = captured.get(video.hold_id, 0)
            if video.status is VideoStatus.COMPLETED:  # L7
                assert charged == video.price, (video.id, charged)
            elif video.status in (VideoStatus.FAILED, VideoStatus.CANCELLED):
                assert charged == 0, (video.id, video.status, charged)
            else:
                assert charged == 0
            hold = self.run(self._hold(video.hold_id))
            expired_unswept = hold.is_open and self.world.clock.now() >= hold.expires_at
            if video.is_terminal and not expired_unswept:
                assert hold.status is not HoldStatus.OPEN or hold.open == 0, hold
            else:
                open_total += hold.open
        assert balance.reserved == open_total  # nothing held for an ended video

    async def _hold(self, hold_id: str):
        async with self.world.uow() as uow:
            return await uow.ledger.get_hold(self.user, hold_id)  # type: ignore[arg-type]


TestVideoMachine = VideoMachine.TestCase
