"""`FakePasswordHasher`: instant, deterministic password hashing for tests. Never in production:
the composition root always wires `Argon2PasswordHasher`."""

from __future__ import annotations

import asyncio
import hashlib
import hmac


class FakePasswordHasher:
    """Implements `PasswordHasher`: `fake$v<version>$<sha256(password)>`. Raise `version` to make
    older hashes need a rehash. Counts its work: `hashed` and `verified` calls, and `work`
    (both), so a test can prove that two paths spend the same hashing effort."""

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.hashed = 0
        self.verified = 0

    @property
    def work(self) -> int:
        return self.hashed + self.verified

    def _digest(self, password: str) -> str:
        return hashlib.sha256(password.encode()).hexdigest()

    async def hash(self, password: str) -> str:
        self.hashed += 1
        await asyncio.sleep(0)  # yield, as the real one does while a thread works
        return f"fake$v{self.version}${self._digest(password)}"

    async def verify(self, hash: str, password: str) -> bool:
        self.verified += 1
        await asyncio.sleep(0)
        parts = hash.split("$")
        if len(parts) != 3 or parts[0] != "fake":
            return False
        return hmac.compare_digest(parts[2], self._digest(password))

    def needs_rehash(self, hash: str) -> bool:
        return not hash.startswith(f"fake$v{self.version}$")


__all__ = ["FakePasswordHasher"]
