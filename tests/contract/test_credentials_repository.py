"""Repository contract for credentials (sessions and API keys), on every store.

Owner rows are created first: SQL has foreign keys.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from afp_core.domain.credentials import Credential, CredentialKind, hash_token
from afp_core.domain.errors import Conflict, NotFound
from afp_core.domain.ids import UserId
from afp_core.domain.users import Role, User
from tests.contract.conftest import Store

pytestmark = pytest.mark.contract

NOW = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
ALICE = UserId("u-alice")
BOB = UserId("u-bob")


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def a_credential(
    credential_id: str,
    user_id: UserId = ALICE,
    *,
    kind: CredentialKind = CredentialKind.API_KEY,
    created_at: datetime = NOW,
) -> Credential:
    return Credential(
        id=credential_id,
        user_id=user_id,
        kind=kind,
        token_hash=hash_token(f"token-{credential_id}"),
        name=f"name {credential_id}",
        created_at=created_at,
        expires_at=at(60 * 24) if kind is CredentialKind.SESSION else None,
    )


async def with_users(store: Store) -> None:
    async with store.uow() as uow:
        for n, user_id in enumerate((ALICE, BOB)):
            await uow.users.add(User(id=user_id, email=f"{user_id}@example.com", created_at=at(n)))
        await uow.commit()


async def add(store: Store, *credentials: Credential) -> None:
    async with store.uow() as uow:
        for credential in credentials:
            await uow.credentials.add(credential)
        await uow.commit()


async def test_a_credential_round_trips_and_is_found_by_its_token_hash(store: Store) -> None:
    await with_users(store)
    session = a_credential("c1", kind=CredentialKind.SESSION)
    session.last_used_at = at(1)
    key = a_credential("c2")
    await add(store, session, key)
    async with store.uow() as uow:
        assert await uow.credentials.by_token_hash(session.token_hash) == session
        assert await uow.credentials.by_token_hash(key.token_hash) == key
        assert await uow.credentials.by_token_hash(hash_token("nope")) is None
        assert await uow.credentials.get(ALICE, "c1") == session


async def test_a_credential_is_found_with_its_users_role_in_a_read_only_unit_of_work(
    store: Store,
) -> None:
    await with_users(store)
    await add(store, a_credential("c1", BOB))
    async with store.uow(read_only=True) as uow:
        assert await uow.credentials.holder_by_token_hash(a_credential("c1").token_hash) == (
            a_credential("c1", BOB),
            Role.USER,
        )
        assert await uow.credentials.holder_by_token_hash(hash_token("nope")) is None


async def test_another_users_credential_is_not_found(store: Store) -> None:
    await with_users(store)
    await add(store, a_credential("c1"))
    async with store.uow() as uow:
        with pytest.raises(NotFound):
            await uow.credentials.get(BOB, "c1")
        with pytest.raises(NotFound):
            await uow.credentials.get(ALICE, "missing")
        stolen = await uow.credentials.get(ALICE, "c1")
        stolen.user_id = BOB
        stolen.revoked_at = at(1)
        with pytest.raises(NotFound):
            await uow.credentials.save(stolen)
    async with store.uow() as uow:
        assert (await uow.credentials.get(ALICE, "c1")).revoked_at is None


async def test_a_taken_id_or_token_hash_is_a_conflict(store: Store) -> None:
    await with_users(store)
    await add(store, a_credential("c1"))
    twin = a_credential("c2")
    twin.token_hash = a_credential("c1").token_hash
    for clash in (twin, a_credential("c1", BOB)):
        with pytest.raises(Conflict):
            await add(store, clash)
    async with store.uow() as uow:
        assert await uow.credentials.list_api_keys(BOB) == []


async def test_save_keeps_revocation_and_moves_last_use_forward_only(store: Store) -> None:
    await with_users(store)
    await add(store, a_credential("c1"))
    async with store.uow() as uow:
        stale = await uow.credentials.get(ALICE, "c1")
    async with store.uow() as uow:
        current = await uow.credentials.get(ALICE, "c1")
        current.revoke(at(2))
        current.touch(at(3))
        await uow.credentials.save(current)
        await uow.commit()
    stale.touch(at(1))  # an older use, saved from a copy read before the revocation
    async with store.uow() as uow:
        await uow.credentials.save(stale)
        await uow.commit()
    async with store.uow() as uow:
        stored = await uow.credentials.get(ALICE, "c1")
    assert (stored.revoked_at, stored.last_used_at) == (at(2), at(3))
    stale.revoked_at = at(9)  # a later revocation does not replace the first
    stale.last_used_at = at(10)
    async with store.uow() as uow:
        await uow.credentials.save(stale)
        await uow.commit()
    async with store.uow() as uow:
        stored = await uow.credentials.get(ALICE, "c1")
    assert (stored.revoked_at, stored.last_used_at) == (at(2), at(10))


async def test_an_uncommitted_credential_is_rolled_back(store: Store) -> None:
    await with_users(store)
    async with store.uow() as uow:
        await uow.credentials.add(a_credential("c1"))
    async with store.uow() as uow:
        assert await uow.credentials.by_token_hash(a_credential("c1").token_hash) is None


async def test_api_keys_are_listed_per_user_oldest_first_without_sessions(store: Store) -> None:
    await with_users(store)
    await add(
        store,
        a_credential("k3", created_at=at(3)),
        a_credential("k1", created_at=at(1)),
        a_credential("s1", kind=CredentialKind.SESSION, created_at=at(0)),
        a_credential("k2", created_at=at(1)),
        a_credential("kb", BOB, created_at=at(2)),
    )
    async with store.uow() as uow:
        revoked = await uow.credentials.get(ALICE, "k2")
        revoked.revoke(at(4))
        await uow.credentials.save(revoked)
        await uow.commit()
    async with store.uow() as uow:
        mine = await uow.credentials.list_api_keys(ALICE)
        assert [k.id for k in mine] == ["k1", "k2", "k3"]
        assert mine[1].revoked_at == at(4)
        assert [k.id for k in await uow.credentials.list_api_keys(BOB)] == ["kb"]


async def test_a_password_hash_is_replaced(store: Store) -> None:
    await with_users(store)
    async with store.uow() as uow:
        await uow.users.set_password_hash(ALICE, "$argon2id$new", at(5))
        with pytest.raises(NotFound):
            await uow.users.set_password_hash(UserId("ghost"), "x", at(5))
        await uow.commit()
    async with store.uow() as uow:
        assert (await uow.users.get(ALICE)).password_hash == "$argon2id$new"
        assert (await uow.users.get(BOB)).password_hash is None


async def test_of_concurrent_sign_ups_with_one_email_exactly_one_wins(store: Store) -> None:
    from afp_adapters.fakes import FakeClock, FakePasswordHasher, SequentialIds
    from afp_core.usecases import SignUp, SignUpCommand, SignUpResult

    sign_up = SignUp(store.uow, FakePasswordHasher(), FakeClock(), SequentialIds("su"))
    command = SignUpCommand("race@example.com", "correct horse battery")
    outcomes = await asyncio.gather(
        *(sign_up.execute(command) for _ in range(4)), return_exceptions=True
    )
    won = [o for o in outcomes if isinstance(o, SignUpResult)]
    assert len(won) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if o not in won)
    async with store.uow() as uow:
        user = await uow.users.by_email("race@example.com")
        assert user is not None and user.id == won[0].user.id
        assert await uow.credentials.by_token_hash(hash_token(won[0].token)) is not None
