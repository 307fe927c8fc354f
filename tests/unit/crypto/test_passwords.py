"""`Argon2PasswordHasher`: argon2id hashes, computed off the event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest
from argon2 import extract_parameters

from afp_adapters.crypto import Argon2PasswordHasher
from afp_adapters.crypto import passwords as module

# small parameters keep the suite fast; the defaults are checked on their own
FAST = {"time_cost": 1, "memory_cost_kib": 1024, "parallelism": 1}


async def test_a_hash_is_argon2id_with_the_given_parameters_and_a_fresh_salt() -> None:
    hasher = Argon2PasswordHasher(**FAST)
    first, second = await hasher.hash("correct horse"), await hasher.hash("correct horse")
    assert first.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert first != second and "correct horse" not in first


async def test_the_defaults_are_rfc_9106s_low_memory_choice() -> None:
    params = extract_parameters(await Argon2PasswordHasher().hash("correct horse"))
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65536, 4)


async def test_verify_accepts_the_password_and_refuses_anything_else() -> None:
    hasher = Argon2PasswordHasher(**FAST)
    stored = await hasher.hash("correct horse")
    assert await hasher.verify(stored, "correct horse")
    assert not await hasher.verify(stored, "correct horse ")
    assert not await hasher.verify(stored, "")
    assert not await hasher.verify("not a hash", "correct horse")
    assert not await hasher.verify("$argon2id$v=19$m=zz", "correct horse")


async def test_a_hash_with_weaker_parameters_or_another_type_needs_a_rehash() -> None:
    weak = Argon2PasswordHasher(**FAST)
    strong = Argon2PasswordHasher(time_cost=2, memory_cost_kib=2048, parallelism=1)
    weak_hash, strong_hash = await weak.hash("pw-123456789"), await strong.hash("pw-123456789")
    assert strong.needs_rehash(weak_hash)
    assert not strong.needs_rehash(strong_hash)
    assert extract_parameters(strong_hash).memory_cost == 2048
    argon2i = "$argon2i$v=19$m=2048,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
    assert strong.needs_rehash(argon2i)
    assert strong.needs_rehash("garbage")
    assert await strong.verify(weak_hash, "pw-123456789")  # still accepted until replaced


async def test_hashing_and_verifying_run_in_a_worker_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []
    real = module.PasswordHasher

    class Spy(real):  # type: ignore[misc, valid-type]
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            seen.append(threading.get_ident())
            return super().hash(password, salt=salt)

        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            seen.append(threading.get_ident())
            return super().verify(hash, password)

    monkeypatch.setattr(module, "PasswordHasher", Spy)
    hasher = Argon2PasswordHasher(**FAST)
    stored = await hasher.hash("correct horse")
    assert await hasher.verify(stored, "correct horse")
    assert len(seen) == 2 and loop_thread not in seen


async def test_the_event_loop_keeps_running_while_a_hash_is_computed() -> None:
    hasher = Argon2PasswordHasher(time_cost=4, memory_cost_kib=32768, parallelism=1)
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await hasher.hash("correct horse")
    done.set()
    await task
    assert ticks > 1


def test_the_container_always_hashes_with_argon2id() -> None:
    from afp_bootstrap import Container, Settings

    for mode in ("fake", "real"):
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url="memory://", providers=mode, storage_url="memory://"
        )
        assert isinstance(Container(settings=settings).password_hasher(), Argon2PasswordHasher)


async def test_at_most_max_concurrent_hashes_run_at_once() -> None:
    hasher = Argon2PasswordHasher(
        time_cost=1, memory_cost_kib=1024, parallelism=1, max_concurrent=2
    )
    hashes = await asyncio.gather(*(hasher.hash(f"password-{i}-long") for i in range(8)))
    assert len(set(hashes)) == 8
    assert hasher.peak_running == 2 and hasher.running == 0
