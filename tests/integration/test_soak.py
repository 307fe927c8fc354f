"""The soak of issue 6: 1,000 videos against a provider with latency, failures and callbacks.

Marked `slow` and `soak`: `make test` leaves it out (`-m "not external and not soak"`);
`pytest -m slow` or `pytest -m soak` runs it, and `make bench` prints its figures
(`bench/soak.py`). It runs on SQLite, and on PostgreSQL too when reachable.
"""

from __future__ import annotations

import pytest
from bench.soak import TARGET_PEAK_MB, TARGET_STATUS_PER_VIDEO, VIDEOS, soak_in_own_process

pytestmark = [pytest.mark.slow, pytest.mark.soak]


@pytest.mark.parametrize(
    ("database", "loops"),
    [("sqlite", 1), pytest.param("postgres", 8, marks=pytest.mark.integration)],
)
def test_a_thousand_videos_all_end_the_ledger_reconciles_and_the_targets_hold(
    request: pytest.FixtureRequest, database: str, loops: int
) -> None:
    url = request.getfixturevalue(f"{database}_url")
    report = soak_in_own_process(url, videos=VIDEOS, loops=loops)
    assert report.terminal == VIDEOS, report.by_status
    assert report.discrepancies == []
    assert report.callback_errors == []
    assert report.jobs.get("failed", 0) == 0, report.jobs
    assert report.calls["status"] / VIDEOS <= TARGET_STATUS_PER_VIDEO
    assert report.peak_mb < TARGET_PEAK_MB
