"""Batch aggregate: settle each item once, cancel what is open, derive status and progress."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from afp_core.domain.batch import Batch, BatchItem, BatchStatus, ItemStatus
from afp_core.domain.errors import IllegalTransition, NotFound, ValidationFailed
from afp_core.domain.ids import BatchId, BatchItemId, HoldId, UserId, VideoId

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def batch(n: int = 3, price: int = 10) -> Batch:
    items = [BatchItem(BatchItemId(f"i{k}"), k + 2, f"https://x.test/{k}", price) for k in range(n)]
    return Batch(BatchId("b"), UserId("u"), HoldId("h"), items, NOW, NOW)


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        Batch(BatchId("b"), UserId("u"), HoldId("h"), [], NOW, NOW)


def test_each_item_settles_once_success_captures_failure_releases() -> None:
    b = batch()
    ok = b.settle_item(BatchItemId("i0"), succeeded=True, now=NOW)
    bad = b.settle_item(BatchItemId("i1"), succeeded=False, now=NOW, error="blocked")
    again = b.settle_item(BatchItemId("i0"), succeeded=False, now=NOW)
    assert (ok.captured, ok.released) == (10, 0)
    assert (bad.captured, bad.released) == (0, 10)
    assert again.already_settled and (again.captured, again.released) == (0, 0)
    assert b.item(BatchItemId("i0")).status is ItemStatus.SUCCEEDED
    assert b.status is BatchStatus.RUNNING
    b.settle_item(BatchItemId("i2"), succeeded=True, now=NOW)
    assert b.status is BatchStatus.PARTIAL
    progress = b.progress()
    assert (progress.credits_captured, progress.credits_released, progress.credits_open) == (
        20,
        10,
        0,
    )


def test_cancel_releases_only_what_is_open_and_only_once() -> None:
    b = batch(4)
    b.settle_item(BatchItemId("i0"), succeeded=True, now=NOW)
    b.start_item(BatchItemId("i1"), VideoId("v1"), NOW)
    settlements = b.cancel(NOW)
    assert sorted(s.item_id for s in settlements) == ["i1", "i2", "i3"]
    assert sum(s.released for s in settlements) == 30
    assert b.cancel(NOW) == ()
    assert b.status is BatchStatus.CANCELLED
    assert b.progress().credits_open == 0


def test_a_finished_batch_cannot_be_cancelled() -> None:
    b = batch(1)
    b.settle_item(BatchItemId("i0"), succeeded=False, now=NOW)
    assert b.status is BatchStatus.FAILED
    with pytest.raises(IllegalTransition):
        b.cancel(NOW)


def test_only_a_pending_item_can_start_and_unknown_items_are_not_found() -> None:
    b = batch(1)
    b.start_item(BatchItemId("i0"), VideoId("v"), NOW)
    with pytest.raises(IllegalTransition):
        b.start_item(BatchItemId("i0"), VideoId("v2"), NOW)
    with pytest.raises(NotFound):
        b.item(BatchItemId("zz"))
