"""IdempotencyRepository keeps a record's `result` (plain JSON values), on every store; and
RememberResponse keeps the first of two answers under one key."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from afp_adapters.fakes import FakeClock
from afp_core.domain.idempotency import IdempotencyRecord
from afp_core.usecases import (
    RecallResponse,
    RecallResponseQuery,
    RememberResponse,
    RememberResponseCommand,
)
from tests.contract.conftest import Store

pytestmark = pytest.mark.contract
NOW = datetime(2026, 1, 1, tzinfo=UTC)
RESULT: dict[str, object] = {
    "status": 202,
    "media_type": "application/json",
    "text": '{"video_id": "v-1", "note": "caf\u00e9"}',
    "nested": {"list": [1, 2.5, None, True], "empty": {}},
}


async def test_a_result_round_trips_with_its_record(store: Store) -> None:
    record = IdempotencyRecord("http:u-1:POST:/generate/video", "k-1", "f" * 64, "r", NOW, RESULT)
    async with store.uow() as uow:
        await uow.idempotency.add(record)
        await uow.commit()
    async with store.uow() as uow:
        stored = await uow.idempotency.get(record.scope, "k-1")
    assert stored == record
    assert stored is not None
    assert stored.result == RESULT


async def test_a_record_without_a_result_reads_back_none(store: Store) -> None:
    async with store.uow() as uow:
        await uow.idempotency.add(IdempotencyRecord("start_video:u-1", "k-2", "f" * 64, "v", NOW))
        await uow.commit()
    async with store.uow() as uow:
        stored = await uow.idempotency.get("start_video:u-1", "k-2")
    assert stored is not None
    assert stored.result is None


async def test_remember_keeps_the_first_answer_and_recall_returns_it(store: Store) -> None:
    remember = RememberResponse(store.uow, FakeClock())
    first = await remember.execute(
        RememberResponseCommand("http:u-1:POST:/x", "k", "a" * 64, {"status": 200, "n": 1})
    )
    second = await remember.execute(
        RememberResponseCommand("http:u-1:POST:/x", "k", "b" * 64, {"status": 200, "n": 2})
    )
    assert second == first
    assert first.result == {"status": 200, "n": 1}
    recalled = await RecallResponse(store.uow).execute(RecallResponseQuery("http:u-1:POST:/x", "k"))
    assert recalled is not None
    assert (recalled.fingerprint, recalled.result) == ("a" * 64, {"status": 200, "n": 1})
    missing = await RecallResponse(store.uow).execute(RecallResponseQuery("http:u-1:POST:/x", "z"))
    assert missing is None


async def test_concurrent_twins_all_get_the_one_answer_that_stayed(store: Store) -> None:
    remember = RememberResponse(store.uow, FakeClock())
    kept = await asyncio.gather(
        *(
            remember.execute(
                RememberResponseCommand("http:u-1:POST:/y", "k", f"{n}" * 64, {"n": n})
            )
            for n in range(5)
        )
    )
    assert len({(k.fingerprint, str(k.result)) for k in kept}) == 1
