"""A clock you move by hand and ids you can predict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Implements `Clock`; starts at a fixed instant and moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("time does not go backwards")
        self._now += step
        return self._now

    def set(self, when: datetime) -> None:
        if when < self._now:
            raise ValueError("time does not go backwards")
        self._now = when


class SequentialIds:
    """Implements `IdGenerator`: `prefix` + a zero-padded counter, sortable and predictable."""

    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self.issued = 0

    def new_id(self) -> str:
        self.issued += 1
        return f"{self._prefix}{self.issued:010d}"


__all__ = ["FakeClock", "SequentialIds"]
