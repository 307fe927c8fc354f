"""RetryPolicy: which failures are retried, how long it sleeps, and when it gives up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afp_adapters.resilience import CircuitOpen, Jitter, ManualTimer, RetryPolicy, is_retryable
from afp_core.domain.errors import (
    ProviderOutcomeUnknown,
    ProviderOutOfCredits,
    ProviderRejected,
    ProviderUnavailable,
    ValidationFailed,
)

from .scripted import Scripted, seeded


def test_only_failures_that_may_pass_and_had_no_effect_are_retryable() -> None:
    assert is_retryable(ProviderUnavailable("429 too many requests"))
    assert is_retryable(ProviderUnavailable("503"))
    assert not is_retryable(ProviderOutcomeUnknown("read timeout after sending"))
    assert not is_retryable(CircuitOpen("kie", 12.0))
    assert not is_retryable(ProviderRejected("content policy"))
    assert not is_retryable(ProviderOutOfCredits("balance 0"))
    assert not is_retryable(ValidationFailed("bad"))
    assert not is_retryable(RuntimeError("bug"))


async def test_a_failure_that_passes_is_retried_until_it_succeeds() -> None:
    timer = ManualTimer()
    inner = Scripted(ProviderUnavailable("429"), ProviderUnavailable("502"), "ok")
    policy = RetryPolicy(rng=seeded(1))

    assert await policy.call(lambda: inner.play("get", None), timer=timer) == "ok"
    assert len(inner.calls) == 3
    assert len(timer.sleeps) == 2


async def test_it_gives_up_after_the_attempts_and_raises_the_last_error() -> None:
    timer = ManualTimer()
    inner = Scripted(ProviderUnavailable("500 first"), ProviderUnavailable("500 last"))

    with pytest.raises(ProviderUnavailable, match="last"):
        await RetryPolicy(attempts=3).call(lambda: inner.play("get", None), timer=timer)
    assert len(inner.calls) == 3
    assert len(timer.sleeps) == 2


@pytest.mark.parametrize(
    "error",
    [
        ProviderRejected("content policy"),
        ProviderOutOfCredits("no credits"),
        ProviderOutcomeUnknown("may have been created"),
        CircuitOpen("kie", 3.0),
        ValueError("a bug"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_fatal_and_unknown_outcomes_are_raised_after_one_call(error: Exception) -> None:
    timer = ManualTimer()
    inner = Scripted(error, "never reached")

    with pytest.raises(type(error)):
        await RetryPolicy(attempts=5).call(lambda: inner.play("get", None), timer=timer)
    assert len(inner.calls) == 1
    assert timer.sleeps == []


async def test_without_jitter_the_backoff_doubles_up_to_the_cap() -> None:
    timer = ManualTimer()
    inner = Scripted(ProviderUnavailable("down"))
    policy = RetryPolicy(attempts=6, base=0.5, cap=4.0, jitter=Jitter.NONE, budget=100)

    with pytest.raises(ProviderUnavailable):
        await policy.call(lambda: inner.play("get", None), timer=timer)
    assert timer.sleeps == [0.5, 1.0, 2.0, 4.0, 4.0]


@given(seed=st.integers(0, 2**32 - 1), attempts=st.integers(2, 8))
async def test_full_jitter_sleeps_stay_within_their_window(seed: int, attempts: int) -> None:
    timer = ManualTimer()
    inner = Scripted(ProviderUnavailable("down"))
    policy = RetryPolicy(attempts=attempts, base=0.5, cap=4.0, budget=1000, rng=seeded(seed))

    with pytest.raises(ProviderUnavailable):
        await policy.call(lambda: inner.play("get", None), timer=timer)
    assert len(timer.sleeps) == attempts - 1
    for retry, slept in enumerate(timer.sleeps, start=1):
        assert 0.0 <= slept <= min(4.0, 0.5 * 2 ** (retry - 1))


async def test_the_same_seed_gives_the_same_delays() -> None:
    def delays(seed: int) -> list[float]:
        policy = RetryPolicy(rng=seeded(seed))
        return [policy.delay(n) for n in range(1, 6)]

    assert delays(7) == delays(7)
    assert delays(7) != delays(8)


async def test_no_attempt_starts_once_the_budget_would_be_exceeded() -> None:
    timer = ManualTimer()
    inner = Scripted(ProviderUnavailable("slow failure"))

    async def slow_failure() -> object:
        timer.now += 3.0  # each attempt takes 3 s before it fails
        return await inner.play("get", None)

    policy = RetryPolicy(attempts=10, base=1.0, cap=1.0, jitter=Jitter.NONE, budget=7.5)
    with pytest.raises(ProviderUnavailable):
        await policy.call(slow_failure, timer=timer)
    # t=3 fail, sleep 1 -> t=7 fail, a third attempt would start at 8 > 7.5: stop
    assert len(inner.calls) == 2
    assert timer.now == 7.0


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="base"):
        RetryPolicy(base=-1)
