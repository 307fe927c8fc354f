"""`Clock` and `IdGenerator`: the real ones and the fakes keep the same promises."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from afp_adapters.fakes import FakeClock, SequentialIds
from afp_adapters.system import SystemClock, UlidIdGenerator
from afp_core.ports.system import Clock, IdGenerator

pytestmark = pytest.mark.contract


@pytest.mark.parametrize("clock", [SystemClock(), FakeClock()], ids=["system", "fake"])
def test_time_is_aware_utc_and_never_goes_backwards(clock: Clock) -> None:
    times = [clock.now() for _ in range(200)]
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert times == sorted(times)


@pytest.mark.parametrize("ids", [UlidIdGenerator(), SequentialIds()], ids=["ulid", "sequential"])
def test_ids_are_unique_short_alphanumeric_and_sorted_by_creation(ids: IdGenerator) -> None:
    made = [ids.new_id() for _ in range(5000)]
    assert len(set(made)) == len(made)
    assert made == sorted(made)
    assert all(re.fullmatch(r"[0-9A-Za-z]{1,28}", i) for i in made)


def test_the_fake_clock_moves_only_forward_when_told() -> None:
    clock = FakeClock()
    start = clock.now()
    assert clock.now() == start
    clock.advance(30)
    assert clock.now() - start == timedelta(seconds=30)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(start)
