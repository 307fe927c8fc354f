"""The resilient decorators: fault sequences against scripted providers on a fake timer."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from afp_adapters.resilience import (
    BreakerRegistry,
    BreakerState,
    CircuitBreaker,
    CircuitOpen,
    InMemoryRateLimiter,
    ManualTimer,
    ResilientModerator,
    ResilientScraper,
    ResilientScriptWriter,
    ResilientVideoGenerator,
    RetryPolicy,
    VideoTimeouts,
)
from afp_core.domain.errors import (
    ProviderOutcomeUnknown,
    ProviderOutOfCredits,
    ProviderRejected,
    ProviderUnavailable,
    ScrapeBlocked,
)
from afp_core.domain.script import ScriptOptions

from .scripted import (
    HANG,
    PRODUCT,
    REQUEST,
    RUNNING,
    ScriptedModerator,
    ScriptedScraper,
    ScriptedScriptWriter,
    ScriptedVideoGenerator,
    seeded,
)

SHORT = 0.02  # real seconds: the timeouts run on the event loop's clock


class CountingLimiter:
    def __init__(self) -> None:
        self.acquired: list[str] = []

    async def acquire(self, key: str = "default") -> None:
        self.acquired.append(key)


def kie(
    inner: ScriptedVideoGenerator,
    timer: ManualTimer,
    *,
    threshold: int = 5,
    limiter: CountingLimiter | InMemoryRateLimiter | None = None,
) -> ResilientVideoGenerator:
    return ResilientVideoGenerator(
        inner,
        breaker=CircuitBreaker("kie", failure_threshold=threshold, timer=timer),
        limiter=limiter or CountingLimiter(),
        retry=RetryPolicy(attempts=3, rng=seeded(3)),
        timeouts=VideoTimeouts(submit=SHORT, status=SHORT, download=SHORT),
        timer=timer,
    )


# ------------------------------------------------------------------ submit: one call, ever
async def test_submit_returns_the_task_id_after_taking_a_rate_limit_slot() -> None:
    limiter = CountingLimiter()
    inner = ScriptedVideoGenerator("task-1")

    assert await kie(inner, ManualTimer(), limiter=limiter).submit(REQUEST) == "task-1"
    assert inner.calls == [("submit", REQUEST)]
    assert limiter.acquired == ["create"]


async def test_a_submit_timeout_is_an_unknown_outcome_raised_after_exactly_one_call() -> None:
    timer = ManualTimer()
    inner = ScriptedVideoGenerator(HANG, "task-2")

    with pytest.raises(ProviderOutcomeUnknown, match="may have been created"):
        await kie(inner, timer).submit(REQUEST)
    assert inner.count("submit") == 1
    assert timer.sleeps == []


@pytest.mark.parametrize(
    "error",
    [
        ProviderUnavailable("429 rate limited"),
        ProviderUnavailable("503 maintenance"),
        ProviderOutcomeUnknown("connection dropped after the body was sent"),
        ProviderRejected("content policy"),
        ProviderOutOfCredits("balance too low"),
    ],
    ids=lambda e: f"{type(e).__name__}:{e}",
)
async def test_submit_never_retries_in_call_the_job_decides(error: Exception) -> None:
    inner = ScriptedVideoGenerator(error, "task-3")

    with pytest.raises(type(error)):
        await kie(inner, ManualTimer()).submit(REQUEST)
    assert inner.count("submit") == 1


async def test_submits_wait_for_the_shared_rate_limit() -> None:
    timer = ManualTimer(autojump=False)
    inner = ScriptedVideoGenerator("task")
    generator = kie(inner, timer, limiter=InMemoryRateLimiter(20, 10.0, timer=timer))

    async def submit_and_time() -> float:
        await generator.submit(REQUEST)
        return timer.monotonic()

    times = await timer.run(*(submit_and_time() for _ in range(25)))
    assert sorted(times) == [0.0] * 20 + [10.0] * 5


# ------------------------------------------------------------------ status and download: retried
async def test_status_retries_429_5xx_and_timeouts_then_answers() -> None:
    timer = ManualTimer()
    inner = ScriptedVideoGenerator(ProviderUnavailable("429"), HANG, RUNNING)

    assert await kie(inner, timer).status("task-1") == RUNNING
    assert inner.count("status") == 3
    assert len(timer.sleeps) == 2
    assert all(0 <= s <= c for s, c in zip(timer.sleeps, [0.5, 1.0], strict=True))


async def test_status_gives_up_after_three_attempts_with_the_last_error() -> None:
    inner = ScriptedVideoGenerator(ProviderUnavailable("502"), HANG)

    with pytest.raises(ProviderUnavailable, match="kie status timed out"):
        await kie(inner, ManualTimer()).status("task-1")
    assert inner.count("status") == 3


async def test_download_is_not_retried_after_a_rejection() -> None:
    inner = ScriptedVideoGenerator(ProviderRejected("403 url expired"), b"never")

    with pytest.raises(ProviderRejected):
        await kie(inner, ManualTimer()).download("https://cdn.example/v.mp4")
    assert inner.count("download") == 1


async def test_download_retries_a_server_error() -> None:
    inner = ScriptedVideoGenerator(ProviderUnavailable("500"), b"mp4")

    assert await kie(inner, ManualTimer()).download("https://cdn.example/v.mp4") == b"mp4"
    assert inner.count("download") == 2


# ------------------------------------------------------------------ one breaker for the provider
async def test_status_failures_open_the_breaker_that_submit_shares() -> None:
    timer = ManualTimer()
    limiter = CountingLimiter()
    inner = ScriptedVideoGenerator(ProviderUnavailable("503"))
    generator = kie(inner, timer, threshold=3, limiter=limiter)

    with pytest.raises(ProviderUnavailable):
        await generator.status("task-1")  # three attempts: three failures
    assert inner.count("status") == 3

    with pytest.raises(CircuitOpen, match="kie circuit open"):
        await generator.submit(REQUEST)
    with pytest.raises(CircuitOpen):
        await generator.download("https://cdn.example/v.mp4")
    assert inner.count("submit") == inner.count("download") == 0
    assert limiter.acquired == []  # an open breaker spends no rate-limit slot


async def test_an_open_breaker_stops_the_retries_at_once() -> None:
    timer = ManualTimer()
    inner = ScriptedVideoGenerator(ProviderUnavailable("503"))
    generator = kie(inner, timer, threshold=2)

    with pytest.raises(CircuitOpen):
        await generator.status("task-1")  # fails twice, then the breaker refuses the third
    assert inner.count("status") == 2
    assert len(timer.sleeps) == 2


async def test_after_the_reset_a_good_probe_closes_the_breaker() -> None:
    timer = ManualTimer()
    inner = ScriptedVideoGenerator(
        ProviderUnavailable("503"), ProviderUnavailable("503"), ProviderUnavailable("503"), "t-9"
    )
    breaker = CircuitBreaker("kie", failure_threshold=3, reset_timeout=30.0, timer=timer)
    generator = ResilientVideoGenerator(
        inner, breaker=breaker, limiter=CountingLimiter(), timer=timer
    )
    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            await generator.submit(REQUEST)
    assert breaker.state is BreakerState.OPEN

    timer.now += 30.0
    assert await generator.submit(REQUEST) == "t-9"
    assert breaker.state is BreakerState.CLOSED


async def test_a_submit_timeout_counts_against_the_breaker() -> None:
    timer = ManualTimer()
    inner = ScriptedVideoGenerator(HANG)
    generator = kie(inner, timer, threshold=2)
    for _ in range(2):
        with pytest.raises(ProviderOutcomeUnknown):
            await generator.submit(REQUEST)

    with pytest.raises(CircuitOpen):
        await generator.submit(REQUEST)
    assert inner.count("submit") == 2


# ------------------------------------------------------------------ content ports
async def test_the_script_writer_retries_a_timeout_within_its_budget() -> None:
    timer = ManualTimer()
    inner = ScriptedScriptWriter(HANG, ["a script"])
    writer = ResilientScriptWriter(
        inner, breaker=CircuitBreaker("openai", timer=timer), timeout=SHORT, timer=timer
    )

    assert await writer.write(PRODUCT, ScriptOptions()) == ["a script"]
    assert inner.count("write") == 2


async def test_the_moderator_raises_a_rejection_after_one_call() -> None:
    timer = ManualTimer()
    inner = ScriptedModerator(ProviderRejected("400 invalid image"), [])
    moderator = ResilientModerator(
        inner, breaker=CircuitBreaker("openai", timer=timer), timeout=SHORT, timer=timer
    )

    with pytest.raises(ProviderRejected):
        await moderator.flags("text", ["https://img.example/1.jpg"])
    assert inner.count("flags") == 1


async def test_the_moderator_retries_a_429() -> None:
    timer = ManualTimer()
    inner = ScriptedModerator(ProviderUnavailable("429"), ["violence"])
    moderator = ResilientModerator(
        inner, breaker=CircuitBreaker("openai", timer=timer), timeout=SHORT, timer=timer
    )

    assert await moderator.flags("text", []) == ["violence"]
    assert inner.count("flags") == 2


async def test_each_shop_has_its_own_breaker_and_a_captcha_does_not_trip_it() -> None:
    timer = ManualTimer()
    registry = BreakerRegistry(failure_threshold=2, timer=timer)
    inner = ScriptedScraper(
        ProviderUnavailable("shop down"),
        ProviderUnavailable("shop down"),
        ScrapeBlocked("captcha"),
        PRODUCT,
    )
    scraper = ResilientScraper(
        inner, breakers=registry, retry=RetryPolicy(attempts=2), timeout=SHORT, timer=timer
    )

    with pytest.raises(ProviderUnavailable):
        await scraper.scrape("https://www.down.example/p/1")
    with pytest.raises(ScrapeBlocked):
        await scraper.scrape("https://other.example/p/2")
    assert await scraper.scrape("https://other.example/p/3") == PRODUCT

    states = {s.name: s.state for s in registry.snapshots()}
    assert states == {"scrape:down.example": BreakerState.OPEN, "scrape:other.example": "closed"}
    assert inner.count("scrape") == 4


async def test_retries_and_breaker_transitions_are_logged_with_the_provider_name() -> None:
    timer = ManualTimer()
    inner = ScriptedVideoGenerator(ProviderUnavailable("503 from https://api.kie.ai"))
    with capture_logs() as logs:
        generator = kie(inner, timer, threshold=2)
        with pytest.raises(CircuitOpen):
            await generator.status("task-1")

    events = [(e["event"], e["provider"]) for e in logs]
    assert events == [
        ("provider.retry", "kie"),
        ("breaker.opened", "kie"),
        ("provider.retry", "kie"),
    ]
    assert logs[0]["operation"] == "status" and logs[0]["error"] == "provider_unavailable"
