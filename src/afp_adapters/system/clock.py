"""`SystemClock`: UTC wall time that never runs backwards within a process."""

from __future__ import annotations

import threading
from datetime import UTC, datetime


class SystemClock:
    """Implements `Clock`."""

    def __init__(self) -> None:
        self._last = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            current = datetime.now(UTC)
            self._last = max(self._last, current)
            return self._last
