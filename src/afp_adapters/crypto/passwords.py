"""`Argon2PasswordHasher`: argon2id password hashes (argon2-cffi), computed in a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")


class Argon2PasswordHasher:
    """Implements `PasswordHasher` with argon2id. The defaults are RFC 9106's second
    recommendation (t=3, m=64 MiB, p=4), about 50 ms a hash; hashing and verifying run in
    `asyncio.to_thread` (argon2-cffi releases the GIL), so the event loop keeps serving.
    A hash with other parameters (older, weaker, or another argon2 type) `needs_rehash`.

    At most `max_concurrent` hashes run at once (each takes `memory_cost_kib` of memory), so a
    flood of log-ins queues instead of exhausting the machine's memory."""

    def __init__(
        self,
        *,
        time_cost: int = 3,
        memory_cost_kib: int = 65536,
        parallelism: int = 4,
        max_concurrent: int = 4,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self._slots = asyncio.Semaphore(max_concurrent)
        self.running = 0
        self.peak_running = 0
        self._argon2 = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost_kib,
            parallelism=parallelism,
            type=Type.ID,
        )

    async def _bounded(self, fn: Callable[..., T], *args: str) -> T:
        async with self._slots:
            self.running += 1
            self.peak_running = max(self.peak_running, self.running)
            try:
                return await asyncio.to_thread(fn, *args)
            finally:
                self.running -= 1

    async def hash(self, password: str) -> str:
        return await self._bounded(self._argon2.hash, password)

    async def verify(self, hash: str, password: str) -> bool:
        try:
            return await self._bounded(self._argon2.verify, hash, password)
        except (VerificationError, InvalidHashError):  # a mismatch, or not a hash we can read
            return False

    def needs_rehash(self, hash: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(hash)
        except InvalidHashError:
            return True
