"""InMemoryRateLimiter: never more than `limit` acquisitions in any `per`-second window."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afp_adapters.resilience import InMemoryRateLimiter, ManualTimer
from afp_core.domain.errors import ProviderUnavailable


def most_in_any_window(times: list[float], per: float) -> int:
    """The largest number of `times` inside one half-open window [t, t + per) (the busiest
    window starts at one of the times; `t + per` is computed as the limiter computes it)."""
    return max((sum(1 for u in times if t <= u < t + per) for t in times), default=0)


# arrival times on a 1/64 s grid: every sum the limiter and the checks make is exact in binary
# floating point, so the window checks below can be exact too
ticks = st.integers(0, 30 * 64).map(lambda n: n / 64)


async def acquire_at(
    timer: ManualTimer, limiter: InMemoryRateLimiter, arrival: float, key: str = "default"
) -> tuple[float, float]:
    await timer.sleep(arrival)
    await limiter.acquire(key)
    return arrival, timer.monotonic()


@given(
    limit=st.integers(1, 6),
    per=st.sampled_from([0.5, 1.0, 2.5, 10.0]),
    arrivals=st.lists(ticks, min_size=1, max_size=40),
)
async def test_no_window_ever_holds_more_than_the_limit(
    limit: int, per: float, arrivals: list[float]
) -> None:
    timer = ManualTimer(autojump=False)
    limiter = InMemoryRateLimiter(limit, per, timer=timer)

    results = await timer.run(*(acquire_at(timer, limiter, a) for a in arrivals))

    granted = [at for _, at in results]
    assert most_in_any_window(granted, per) <= limit
    for arrival, at in results:
        assert at >= arrival
        if at > arrival:  # it waited: because the window before its slot was full
            assert sum(1 for g in granted if g < at <= g + per) == limit


@given(arrivals=st.lists(ticks, min_size=1, max_size=30))
async def test_keys_are_limited_separately(arrivals: list[float]) -> None:
    timer = ManualTimer(autojump=False)
    limiter = InMemoryRateLimiter(2, 1.0, timer=timer)
    keys = ["kie", "openai"]

    results = await timer.run(
        *(acquire_at(timer, limiter, a, keys[i % 2]) for i, a in enumerate(arrivals))
    )

    for k, key in enumerate(keys):
        granted = [at for i, (_, at) in enumerate(results) if i % 2 == k]
        assert most_in_any_window(granted, 1.0) <= 2, key


async def test_the_kie_limit_lets_twenty_through_at_once_and_the_next_after_ten_seconds() -> None:
    timer = ManualTimer(autojump=False)
    limiter = InMemoryRateLimiter(20, 10.0, timer=timer)

    results = await timer.run(*(acquire_at(timer, limiter, 0.0) for _ in range(45)))

    granted = sorted(at for _, at in results)
    assert granted == [0.0] * 20 + [10.0] * 20 + [20.0] * 5


async def test_a_wait_longer_than_allowed_is_refused_without_taking_a_slot() -> None:
    timer = ManualTimer()
    limiter = InMemoryRateLimiter(1, 10.0, max_wait=5.0, timer=timer)
    await limiter.acquire()

    with pytest.raises(ProviderUnavailable, match=r"10\.0s away"):
        await limiter.acquire()
    timer.now += 6.0
    await limiter.acquire()  # the wait is now 4 s, within the 5 allowed
    assert timer.now == 10.0


async def test_a_cancelled_wait_gives_its_slot_back() -> None:
    timer = ManualTimer(autojump=False)
    limiter = InMemoryRateLimiter(1, 10.0, timer=timer)
    await limiter.acquire()  # slot 0
    waiting = asyncio.ensure_future(limiter.acquire())  # reserves slot 10
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    results = await timer.run(acquire_at(timer, limiter, 0.0))
    assert results == [(0.0, 10.0)]  # slot 10 was free again, not 20


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        InMemoryRateLimiter(0, 1.0)
