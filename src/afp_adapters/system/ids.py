"""`UlidIdGenerator`: 26-character ULIDs (48-bit milliseconds + 80 random bits, Crockford
base 32), monotonic within a millisecond, so ids sort by creation time."""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rest = divmod(value, 32)
        chars.append(_ALPHABET[rest])
    return "".join(reversed(chars))


class UlidIdGenerator:
    """Implements `IdGenerator`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def new_id(self) -> str:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms <= self._last_ms:
                now_ms = self._last_ms
                self._last_random += 1
            else:
                self._last_random = int.from_bytes(os.urandom(10), "big") >> 1
            self._last_ms = now_ms
            return _encode(now_ms, 10) + _encode(self._last_random, 16)
