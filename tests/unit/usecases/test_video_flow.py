"""The single-video flow on fakes: hold, submit, poll, store, settle — and every way it fails."""

from __future__ import annotations

import asyncio

import pytest

from afp_adapters.fakes import FakeVideoGenerator, Outcome, Scenario
from afp_core.domain.errors import (
    ContentBlocked,
    IdempotencyConflict,
    IllegalTransition,
    InsufficientCredits,
    NotFound,
    ProviderAccountBlocked,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ValidationFailed,
)
from afp_core.domain.ids import VideoId
from afp_core.domain.script import Claim
from afp_core.domain.video import FailureKind, VideoStatus
from afp_core.ports.generation import TaskStatus, VideoRequest
from afp_core.usecases import (
    CancelVideoCommand,
    ExpireHoldsCommand,
    HandleVideoCallbackCommand,
    SettleVideoCommand,
    SubmitVideoCommand,
)
from tests.world import SCRIPT, World

PRICE = 1  # afp-local at 8 s in the default price table


async def test_a_video_without_enough_credits_fails_and_writes_nothing() -> None:
    world = World()
    user = await world.user(credits=0)
    before = world.snapshot()
    with pytest.raises(InsufficientCredits) as caught:
        await world.start_video(user, model="veo3_fast")
    assert caught.value.code == "insufficient_credits"
    assert caught.value.needed == 10
    assert world.snapshot() == before
    assert await world.balance(user) == await world.balance(user)
    assert (await world.balance(user)).reserved == 0


async def test_a_started_video_holds_its_price_and_queues_the_submit() -> None:
    world = World()
    user = await world.user(credits=50)
    started = await world.start_video(user, model="veo3_fast")
    balance = await world.balance(user)
    assert (started.status, started.price) == (VideoStatus.QUEUED, 10)
    assert (balance.balance, balance.reserved, balance.available) == (50, 10, 40)
    assert world.c.job_queue().counts() == {"waiting": 1}


async def test_a_completed_video_is_stored_and_charged_exactly_its_price() -> None:
    world = World()
    user = await world.user(credits=50)
    started = await world.start_video(user, model="veo3_fast")
    await world.run_jobs()
    video = await world.video(started.video_id)
    balance = await world.balance(user)
    assert video.status is VideoStatus.COMPLETED
    assert video.result_key == f"videos/{user}/{video.id}.mp4"
    assert world.storage.objects[video.result_key][0][4:8] == b"ftyp"
    assert (balance.balance, balance.reserved) == (40, 0)
    usage = [e for e in await world.entries(user) if e.type == "USAGE"]
    assert [e.amount for e in usage] == [-10]
    assert [s for s, _ in video.history] == [
        VideoStatus.SUBMITTED,
        VideoStatus.RENDERING,
        VideoStatus.STORING,
        VideoStatus.COMPLETED,
    ]


async def test_a_failed_render_is_never_charged_and_releases_the_hold() -> None:
    world = World(generator=FakeVideoGenerator(default=Scenario(outcome=Outcome.FAIL)))
    user = await world.user(credits=50)
    started = await world.start_video(user, model="veo3_fast")
    await world.run_jobs()
    video = await world.video(started.video_id)
    assert video.status is VideoStatus.FAILED
    assert "content policy" in (video.error_reason or "")
    assert (await world.balance(user)).balance == 50
    assert await world.holds(user) == []
    assert not [e for e in await world.entries(user) if e.type == "USAGE"]


async def test_a_failure_reported_twice_changes_nothing_the_second_time() -> None:
    world = World()
    user = await world.user(credits=20)
    started = await world.start_video(user)
    settle = world.c.settle_video()
    first = await settle.execute(SettleVideoCommand(started.video_id, "failed", reason="boom"))
    second = await settle.execute(SettleVideoCommand(started.video_id, "failed", reason="again"))
    assert (first.status, first.already_settled) == (VideoStatus.FAILED, False)
    assert second.already_settled
    assert (await world.video(started.video_id)).error_reason == "boom"
    assert (await world.balance(user)).balance == 20
    assert await world.holds(user) == []


async def test_a_late_success_after_a_failure_is_never_charged() -> None:
    world = World()
    user = await world.user(credits=20)
    started = await world.start_video(user)
    settle = world.c.settle_video()
    await settle.execute(SettleVideoCommand(started.video_id, "failed", reason="timed out"))
    late = await settle.execute(
        SettleVideoCommand(started.video_id, "completed", result_key="k", result_url="memory://k")
    )
    assert late.already_settled and late.charged == 0
    assert (await world.video(started.video_id)).status is VideoStatus.FAILED
    assert (await world.balance(user)).balance == 20


async def test_a_late_failure_after_a_success_keeps_the_single_charge() -> None:
    world = World()
    user = await world.user(credits=20)
    started = await world.start_video(user)
    await world.run_jobs()
    late = await world.c.settle_video().execute(
        SettleVideoCommand(started.video_id, "failed", reason="late")
    )
    assert late.already_settled and late.charged == PRICE
    assert (await world.balance(user)).balance == 20 - PRICE


async def test_replaying_start_video_with_the_same_key_returns_the_same_video() -> None:
    world = World()
    user = await world.user(credits=30)
    first = await world.start_video(user, model="veo3_fast", idempotency_key="abc")
    before = world.snapshot()
    again = await world.start_video(user, model="veo3_fast", idempotency_key="abc")
    assert again.video_id == first.video_id and again.replayed
    assert world.snapshot() == before
    assert (await world.balance(user)).reserved == 10


async def test_the_same_key_with_another_request_conflicts_and_writes_nothing() -> None:
    world = World()
    user = await world.user(credits=30)
    await world.start_video(user, model="veo3_fast", idempotency_key="abc")
    before = world.snapshot()
    with pytest.raises(IdempotencyConflict):
        await world.start_video(user, model="afp-local", idempotency_key="abc")
    assert world.snapshot() == before


async def test_idempotency_keys_belong_to_one_user() -> None:
    world = World()
    alice, bob = await world.user(credits=30), await world.user(credits=30)
    a = await world.start_video(alice, idempotency_key="same")
    b = await world.start_video(bob, idempotency_key="same")
    assert a.video_id != b.video_id and not b.replayed


async def test_blocked_content_is_refused_before_any_credit_is_spent() -> None:
    world = World()
    user = await world.user(credits=30)
    risky = SCRIPT.__class__(
        id=SCRIPT.id,
        hook="This bottle cures diabetes!",
        body="Doctors hate it.",
        call_to_action="Buy now",
        claims=(Claim("cures diabetes", ()),),
    )
    before = world.snapshot()
    with pytest.raises(ContentBlocked) as caught:
        await world.start_video(user, script=risky)
    assert caught.value.reasons
    assert world.snapshot() == before


async def test_cancelling_releases_the_hold_and_a_late_success_is_ignored() -> None:
    world = World()
    user = await world.user(credits=30)
    started = await world.start_video(user, model="veo3_fast")
    await world.runner.run_due()  # submitted at the provider
    result = await world.c.cancel_video().execute(CancelVideoCommand(user, started.video_id))
    assert result.status is VideoStatus.CANCELLED
    await world.run_jobs()  # the provider finishes anyway
    assert (await world.video(started.video_id)).status is VideoStatus.CANCELLED
    balance = await world.balance(user)
    assert (balance.balance, balance.reserved) == (30, 0)


async def test_an_ended_video_cannot_be_cancelled() -> None:
    world = World()
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.run_jobs()
    with pytest.raises(IllegalTransition):
        await world.c.cancel_video().execute(CancelVideoCommand(user, started.video_id))


async def test_another_users_video_is_not_found() -> None:
    world = World()
    alice, mallory = await world.user(credits=30), await world.user(credits=30)
    started = await world.start_video(alice)
    with pytest.raises(NotFound):
        await world.c.cancel_video().execute(CancelVideoCommand(mallory, started.video_id))
    assert (await world.video(started.video_id)).status is VideoStatus.QUEUED


async def test_retryable_submit_errors_back_off_then_succeed() -> None:
    scenario = Scenario(submit_errors=(FailureKind.RETRYABLE, FailureKind.RETRYABLE))
    world = World(generator=FakeVideoGenerator(default=scenario))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.run_jobs()
    video = await world.video(started.video_id)
    assert video.status is VideoStatus.COMPLETED
    assert video.attempts == 3 and world.generator.submit_calls == 3


async def test_a_provider_that_stays_down_fails_the_video_and_releases() -> None:
    scenario = Scenario(submit_errors=(FailureKind.RETRYABLE,) * 10)
    world = World(generator=FakeVideoGenerator(default=scenario))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.run_jobs()
    video = await world.video(started.video_id)
    assert video.status is VideoStatus.FAILED
    assert "unavailable after 5 tries" in (video.error_reason or "")
    assert (await world.balance(user)).available == 30


async def test_a_rejected_prompt_fails_at_once_without_retrying() -> None:
    scenario = Scenario(submit_errors=(FailureKind.TERMINAL,))
    world = World(generator=FakeVideoGenerator(default=scenario))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.run_jobs()
    assert (await world.video(started.video_id)).status is VideoStatus.FAILED
    assert world.generator.submit_calls == 1
    assert (await world.balance(user)).available == 30


async def test_an_empty_provider_account_pauses_the_video_instead_of_failing_it() -> None:
    scenario = Scenario(submit_errors=(FailureKind.OUT_OF_CREDITS,))
    world = World(generator=FakeVideoGenerator(default=scenario))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.runner.run_due()
    assert (await world.video(started.video_id)).status is VideoStatus.QUEUED
    assert any(type(e).__name__ == "ProviderOutOfCreditsDetected" for e in world.db.tables.events)
    await world.run_jobs()
    assert (await world.video(started.video_id)).status is VideoStatus.COMPLETED


async def test_a_render_that_never_finishes_fails_at_its_deadline_and_is_released() -> None:
    world = World(generator=FakeVideoGenerator(default=Scenario(outcome=Outcome.NEVER_FINISH)))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.run_jobs()
    video = await world.video(started.video_id)
    assert video.status is VideoStatus.FAILED
    assert "did not finish in time" in (video.error_reason or "")
    assert world.clock.now() >= video.deadline
    assert (await world.balance(user)).available == 30


async def test_status_errors_while_polling_are_retried() -> None:
    world = World(generator=FakeVideoGenerator(default=Scenario(status_errors=3)))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.run_jobs()
    assert (await world.video(started.video_id)).status is VideoStatus.COMPLETED


async def test_a_callback_schedules_an_immediate_poll_and_unknown_tasks_are_ignored() -> None:
    world = World(generator=FakeVideoGenerator(default=Scenario(polls_before_done=0)))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.runner.run_due()  # submit
    video = await world.video(started.video_id)
    handle = world.c.handle_video_callback()
    hint = await handle.execute(HandleVideoCallbackCommand(str(video.provider_task_id)))
    unknown = await handle.execute(HandleVideoCallbackCommand("task_nobody"))
    assert hint.scheduled and hint.video_id == started.video_id
    assert not unknown.scheduled and unknown.video_id is None
    await world.runner.run_due()  # the hinted poll, before the scheduled one is due
    await world.runner.run_due()  # settle
    assert (await world.video(started.video_id)).status is VideoStatus.COMPLETED


async def test_duplicate_callbacks_racing_polls_charge_once() -> None:
    world = World(generator=FakeVideoGenerator(default=Scenario(polls_before_done=2)))
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.runner.run_due()
    task = str((await world.video(started.video_id)).provider_task_id)
    for _ in range(5):
        await world.c.handle_video_callback().execute(HandleVideoCallbackCommand(task))
        await world.runner.run_due()
    await world.run_jobs()
    for _ in range(3):
        await world.c.handle_video_callback().execute(HandleVideoCallbackCommand(task))
    await world.run_jobs()
    usage = [e for e in await world.entries(user) if e.type == "USAGE"]
    assert [e.amount for e in usage] == [-PRICE]
    assert (await world.balance(user)).balance == 30 - PRICE


async def test_an_unknown_video_cannot_be_settled() -> None:
    world = World()
    with pytest.raises(NotFound):
        await world.c.settle_video().execute(SettleVideoCommand(VideoId("nope"), "failed"))


async def test_a_model_outside_the_users_plan_is_refused_not_swapped() -> None:
    world = World()
    user = await world.user(credits=100)  # FREE plan
    before = world.snapshot()
    with pytest.raises(ValidationFailed, match="not available on the free plan"):
        await world.start_video(user, model="veo3")
    assert world.snapshot() == before


async def test_concurrent_duplicates_of_one_request_start_one_video() -> None:
    world = World()
    user = await world.user(credits=100)
    results = await asyncio.gather(
        *(world.start_video(user, model="veo3_fast", idempotency_key="twin") for _ in range(8))
    )
    assert len({r.video_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert (await world.balance(user)).reserved == 10
    assert len(world.db.tables.videos) == 1


async def test_a_model_that_cannot_render_the_request_is_refused_not_swapped() -> None:
    world = World()
    user = await world.user(credits=100)
    before = world.snapshot()
    with pytest.raises(ValidationFailed, match="renders 8 s, not 10 s"):
        await world.start_video(user, model="veo3_fast", duration_s=10)
    assert world.snapshot() == before


async def test_a_video_whose_hold_expired_ends_failed_and_is_never_charged() -> None:
    world = World()
    user = await world.user(credits=30)
    started = await world.start_video(user, model="veo3_fast")
    world.clock.advance(25 * 3600)  # past the deadline and the hold's expiry, worker down
    expired = await world.c.expire_holds().execute(ExpireHoldsCommand())
    assert (expired.holds_expired, expired.credits_released) == (1, 10)
    await world.run_jobs()
    video = await world.video(started.video_id)
    assert video.status is VideoStatus.FAILED
    assert (await world.balance(user)).balance == 30
    assert not [e for e in await world.entries(user) if e.type == "USAGE"]


async def test_a_render_finishing_after_its_hold_expired_is_not_charged() -> None:
    world = World(generator=FakeVideoGenerator(default=Scenario(polls_before_done=0)))
    user = await world.user(credits=30)
    started = await world.start_video(user, model="veo3_fast")
    await world.runner.run_due()  # submitted
    world.clock.advance(25 * 3600)
    result = await world.c.settle_video().execute(
        SettleVideoCommand(started.video_id, "completed", result_key="k", result_url="u")
    )
    assert result.status is VideoStatus.FAILED and result.charged == 0
    assert "reservation expired" in (await world.video(started.video_id)).error_reason
    await world.c.expire_holds().execute(ExpireHoldsCommand())
    balance = await world.balance(user)
    assert (balance.balance, balance.reserved) == (30, 0)


class _SubmitTimesOut(FakeVideoGenerator):
    """A provider whose create call times out after the request went out."""

    async def submit(self, request: VideoRequest) -> str:
        self.submit_calls += 1
        raise ProviderOutcomeUnknown("read timeout after the request was sent")


async def test_a_submit_that_may_have_created_a_task_is_never_repeated_and_never_charged() -> None:
    world = World(generator=_SubmitTimesOut())
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.run_jobs()
    video = await world.video(started.video_id)
    assert video.status is VideoStatus.FAILED
    assert world.generator.submit_calls == 1
    assert "not resubmitted" in (video.error_reason or "")
    assert (await world.balance(user)).available == 30


class _DiesMidCall(FakeVideoGenerator):
    """The worker process dies while the create call is in flight (the call went out)."""

    async def submit(self, request: VideoRequest) -> str:
        self.submit_calls += 1
        raise RuntimeError("worker killed during the provider call")


async def test_a_worker_dying_mid_submit_never_leads_to_a_second_create_call() -> None:
    world = World(generator=_DiesMidCall())
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.run_jobs()
    video = await world.video(started.video_id)
    assert world.generator.submit_calls == 1
    assert video.status is VideoStatus.FAILED
    assert "worker stopped during the provider call" in (video.error_reason or "")
    assert (await world.balance(user)).available == 30
    assert await world.holds(user) == []


async def test_a_second_submit_job_while_a_call_is_in_flight_waits_instead_of_failing() -> None:
    world = World()
    user = await world.user(credits=30)
    started = await world.start_video(user)
    async with world.uow() as uow:  # a create call began a moment ago and is still running
        video = await uow.videos.get_any(started.video_id)
        video.begin_submit(world.clock.now())
        await uow.videos.save(video)
        await uow.commit()
    result = await world.c.submit_video().execute(SubmitVideoCommand(started.video_id))
    assert result.outcome == "retry_scheduled"
    assert world.generator.submit_calls == 0
    async with world.uow() as uow:  # ...and then it succeeds
        video = await uow.videos.get_any(started.video_id)
        video.mark_submitted(
            await world.generator.submit(VideoRequest(video.id, video.spec)), world.clock.now()
        )
        await uow.videos.save(video)
        await uow.commit()
    await world.run_jobs()
    video = await world.video(started.video_id)
    assert video.status is VideoStatus.SUBMITTED  # the rescheduled job saw it and did nothing
    assert world.generator.submit_calls == 1


async def test_a_refused_provider_account_pauses_the_video_instead_of_failing_it() -> None:
    class Refused(FakeVideoGenerator):
        async def submit(self, request: VideoRequest) -> str:
            self.submit_calls += 1
            if self.submit_calls == 1:
                raise ProviderAccountBlocked("Kie.ai refused our API key: check AFP_KIE_API_KEY")
            return await super().submit(request)

    world = World(generator=Refused())
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.runner.run_due()
    assert (await world.video(started.video_id)).status is VideoStatus.QUEUED
    await world.run_jobs()
    assert (await world.video(started.video_id)).status is VideoStatus.COMPLETED
    assert (await world.balance(user)).available == 29


async def test_a_status_read_the_provider_refuses_is_polled_again_not_abandoned() -> None:
    class RefusesOnce(FakeVideoGenerator):
        refused = False

        async def status(self, task_id: str) -> TaskStatus:
            if not self.refused:
                self.refused = True
                raise ProviderRejected("403 from a proxy in front of the provider")
            return await super().status(task_id)

    world = World(generator=RefusesOnce())
    user = await world.user(credits=30)
    started = await world.start_video(user)
    await world.run_jobs()
    assert (await world.video(started.video_id)).status is VideoStatus.COMPLETED
