"""CircuitBreaker: opens after N failures in a row, refuses fast, probes, closes or reopens."""

from __future__ import annotations

import pytest

from afp_adapters.resilience import (
    BreakerRegistry,
    BreakerSnapshot,
    BreakerState,
    CircuitBreaker,
    CircuitOpen,
    ManualTimer,
)
from afp_core.domain.errors import (
    ProviderOutcomeUnknown,
    ProviderOutOfCredits,
    ProviderRejected,
    ProviderUnavailable,
)

from .scripted import Scripted


def make(timer: ManualTimer, **settings: float) -> CircuitBreaker:
    return CircuitBreaker(
        "kie",
        failure_threshold=int(settings.get("failure_threshold", 3)),
        window=settings.get("window", 60.0),
        reset_timeout=settings.get("reset_timeout", 30.0),
        half_open_max_calls=int(settings.get("half_open_max_calls", 1)),
        timer=timer,
    )


async def fail(breaker: CircuitBreaker, error: Exception | None = None) -> None:
    inner = Scripted(error or ProviderUnavailable("503"))
    with pytest.raises(type(error or ProviderUnavailable("503"))):
        await breaker.call(lambda: inner.play("call", None))


async def succeed(breaker: CircuitBreaker) -> object:
    inner = Scripted("ok")
    return await breaker.call(lambda: inner.play("call", None))


async def test_it_opens_after_the_threshold_of_consecutive_failures() -> None:
    breaker = make(ManualTimer())
    for _ in range(2):
        await fail(breaker)
    assert breaker.state is BreakerState.CLOSED
    await fail(breaker, ProviderOutcomeUnknown("timed out after sending"))  # counts too
    assert breaker.state is BreakerState.OPEN


async def test_an_open_breaker_refuses_without_calling_the_provider() -> None:
    timer = ManualTimer()
    breaker = make(timer)
    for _ in range(3):
        await fail(breaker)
    timer.now += 10.0
    inner = Scripted("ok")

    with pytest.raises(CircuitOpen, match=r"kie circuit open, retry after 20\.0s") as refused:
        await breaker.call(lambda: inner.play("call", None))
    assert inner.calls == []
    assert refused.value.retry_after == pytest.approx(20.0)
    assert isinstance(refused.value, ProviderUnavailable)  # the job-level retry comes back


async def test_a_success_in_between_resets_the_count() -> None:
    breaker = make(ManualTimer())
    await fail(breaker)
    await fail(breaker)
    await succeed(breaker)
    await fail(breaker)
    await fail(breaker)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.snapshot().failures == 2


@pytest.mark.parametrize(
    "error", [ProviderRejected("content policy"), ProviderOutOfCredits("no credits")]
)
async def test_rejections_never_trip_it_they_prove_the_provider_answers(error: Exception) -> None:
    breaker = make(ManualTimer())
    await fail(breaker)
    await fail(breaker)
    for _ in range(10):
        await fail(breaker, error)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.snapshot().failures == 0


async def test_bugs_neither_count_nor_reset() -> None:
    breaker = make(ManualTimer())
    await fail(breaker)
    await fail(breaker, RuntimeError("a bug in the adapter"))
    await fail(breaker)
    assert breaker.snapshot().failures == 2


async def test_failures_older_than_the_window_drop_out() -> None:
    timer = ManualTimer()
    breaker = make(timer, window=10.0)
    await fail(breaker)
    await fail(breaker)
    timer.now += 11.0
    await fail(breaker)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.snapshot().failures == 1


async def test_after_the_reset_timeout_one_probe_goes_through_and_a_success_closes() -> None:
    timer = ManualTimer()
    breaker = make(timer)
    for _ in range(3):
        await fail(breaker)
    timer.now += 30.0
    assert breaker.state is BreakerState.HALF_OPEN

    assert await succeed(breaker) == "ok"
    assert breaker.state is BreakerState.CLOSED
    assert breaker.snapshot() == BreakerSnapshot("kie", BreakerState.CLOSED, 0, None, None)


async def test_a_failed_probe_reopens_for_another_reset_timeout() -> None:
    timer = ManualTimer()
    breaker = make(timer)
    for _ in range(3):
        await fail(breaker)
    timer.now += 30.0
    await fail(breaker)
    assert breaker.snapshot() == BreakerSnapshot("kie", BreakerState.OPEN, 3, 30.0, 30.0)
    timer.now += 29.0
    assert breaker.state is BreakerState.OPEN
    timer.now += 1.0
    assert breaker.state is BreakerState.HALF_OPEN


async def test_half_open_lets_only_the_allowed_number_of_probes_through() -> None:
    timer = ManualTimer(autojump=False)
    breaker = make(timer, half_open_max_calls=2)
    for _ in range(3):
        await fail(breaker)
    timer.now += 30.0

    async def slow_probe() -> str:
        await timer.sleep(1.0)
        return "ok"

    inner = Scripted("ok")
    probes = [breaker.call(slow_probe), breaker.call(slow_probe)]

    async def third() -> object:
        await timer.sleep(0.5)  # while both probes are in flight
        return await breaker.call(lambda: inner.play("call", None))

    async def refused(aw: object) -> object:
        try:
            return await aw  # type: ignore[misc]
        except CircuitOpen as error:
            return error

    results = await timer.run(*probes, refused(third()))
    assert results[:2] == ["ok", "ok"]
    assert isinstance(results[2], CircuitOpen)
    assert inner.calls == []
    assert breaker.state is BreakerState.CLOSED


async def test_a_rejected_probe_closes_it_and_a_crashed_probe_frees_its_slot() -> None:
    timer = ManualTimer()
    breaker = make(timer)
    for _ in range(3):
        await fail(breaker)
    timer.now += 30.0
    await fail(breaker, RuntimeError("bug"))
    assert breaker.state is BreakerState.HALF_OPEN
    await fail(breaker, ProviderRejected("bad prompt"))
    assert breaker.state is BreakerState.CLOSED


async def test_snapshot_of_an_open_breaker_counts_down() -> None:
    timer = ManualTimer(start=100.0)
    breaker = make(timer)
    for _ in range(3):
        await fail(breaker)
    timer.now += 12.5
    assert breaker.snapshot() == BreakerSnapshot("kie", BreakerState.OPEN, 3, 100.0, 17.5)


async def test_the_registry_keeps_one_breaker_per_provider_and_lists_them() -> None:
    timer = ManualTimer()
    registry = BreakerRegistry(failure_threshold=1, reset_timeout=5.0, timer=timer)
    assert registry.get("kie") is registry.get("kie")
    await fail(registry.get("openai"))

    assert registry.snapshots() == (
        BreakerSnapshot("kie", BreakerState.CLOSED, 0, None, None),
        BreakerSnapshot("openai", BreakerState.OPEN, 1, 0.0, 5.0),
    )


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker("kie", failure_threshold=0)
    with pytest.raises(ValueError, match="window"):
        CircuitBreaker("kie", window=0)
