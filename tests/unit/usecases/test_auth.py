"""Accounts and credentials: sign-up, log-in, log-out, bearer tokens and API keys."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from afp_adapters.fakes import FakePasswordHasher
from afp_core.domain.credentials import CredentialKind, Principal, hash_token
from afp_core.domain.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from afp_core.domain.ids import UserId
from afp_core.domain.pricing import PlanTier
from afp_core.domain.users import Role
from afp_core.usecases import (
    AuthenticateCommand,
    CreateApiKeyCommand,
    CreateUserCommand,
    ListApiKeysCommand,
    LogInCommand,
    LogOutCommand,
    RevokeApiKeyCommand,
    SignUpCommand,
    SignUpResult,
    VerifiedTokens,
)
from afp_core.usecases._credentials import _Verified
from tests.world import World

PASSWORD = "correct horse battery"


async def sign_up(world: World, email: str = "ann@example.com") -> SignUpResult:
    return await world.c.sign_up().execute(SignUpCommand(email, PASSWORD))


async def authenticate(world: World, token: str) -> object:
    return await world.c.authenticate().execute(AuthenticateCommand(token))


# ---------------------------------------------------------------- sign-up


async def test_sign_up_makes_a_free_user_without_credits_and_a_working_session() -> None:
    world = World()
    made = await world.c.sign_up().execute(SignUpCommand("  Ann@Example.COM ", PASSWORD))
    assert made.user.email == "ann@example.com"
    assert (made.user.role, made.user.plan) == (Role.USER, PlanTier.FREE)
    assert made.user.password_hash is not None and PASSWORD not in made.user.password_hash
    assert re.fullmatch(r"afp_s_[A-Za-z0-9_-]{43}", made.token)
    assert made.expires_at == world.clock.now() + timedelta(days=14)
    assert (await world.balance(made.user.id)).balance == 0
    principal = await world.c.authenticate().execute(AuthenticateCommand(made.token))
    assert (principal.user_id, principal.role, principal.kind) == (
        made.user.id,
        Role.USER,
        CredentialKind.SESSION,
    )
    assert not principal.is_admin


async def test_only_the_token_hash_is_stored() -> None:
    world = World()
    made = await sign_up(world)
    [stored] = world.db.tables.credentials.values()
    assert stored.token_hash == hash_token(made.token)
    assert made.token not in repr(stored) and made.token not in repr(made)


async def test_a_taken_email_is_a_conflict_in_any_case_and_costs_no_hashing() -> None:
    world = World()
    await sign_up(world)
    work = world.hasher.work
    with pytest.raises(Conflict, match="exists"):
        await sign_up(world, "ANN@example.com")
    assert world.hasher.work == work
    assert len(world.db.tables.users) == 1


async def test_of_concurrent_sign_ups_with_one_email_exactly_one_wins() -> None:
    world = World()
    outcomes = await asyncio.gather(*(sign_up(world) for _ in range(5)), return_exceptions=True)
    assert sum(isinstance(o, SignUpResult) for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, SignUpResult))
    assert len(world.db.tables.users) == 1
    assert len(world.db.tables.credentials) == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "10 to 256 characters"),
        ("x" * 257, "10 to 256 characters"),
        ("aaaaaaaaaaaa", "one character repeated"),
        ("Ann@Example.com", "not be the email"),
    ],
)
async def test_a_weak_password_is_refused_with_the_reason(password: str, reason: str) -> None:
    world = World()
    with pytest.raises(ValidationFailed, match=reason):
        await world.c.sign_up().execute(SignUpCommand("ann@example.com", password))
    assert world.db.tables.users == {}
    assert world.hasher.work == 0


async def test_a_malformed_email_is_refused() -> None:
    world = World()
    with pytest.raises(ValidationFailed, match="not an email"):
        await world.c.sign_up().execute(SignUpCommand("ann", PASSWORD))


# ---------------------------------------------------------------- log-in


async def test_log_in_opens_a_new_session_next_to_the_old_one() -> None:
    world = World()
    made = await sign_up(world)
    world.clock.advance(60)
    logged = await world.c.log_in().execute(LogInCommand("ANN@example.com", PASSWORD))
    assert logged.user.id == made.user.id
    assert logged.token != made.token
    assert logged.expires_at == world.clock.now() + timedelta(days=14)
    for token in (made.token, logged.token):
        assert (await world.c.authenticate().execute(AuthenticateCommand(token))).user_id == (
            made.user.id
        )


async def test_an_unknown_email_and_a_wrong_password_get_the_same_error_and_the_same_work() -> None:
    world = World()
    await sign_up(world)
    log_in = world.c.log_in()
    messages = []
    for email, password in [("ann@example.com", "wrong password!"), ("bob@example.com", PASSWORD)]:
        before = world.hasher.work
        with pytest.raises(Unauthenticated) as refused:
            await log_in.execute(LogInCommand(email, password))
        assert world.hasher.work - before == 1  # one argon2 computation either way
        messages.append(refused.value.message)
    assert messages == ["email or password is wrong"] * 2
    assert len(world.db.tables.credentials) == 1  # only the sign-up's session


async def test_a_user_without_a_password_cannot_log_in() -> None:
    world = World()
    await world.c.create_user().execute(CreateUserCommand(email="ops@example.com"))
    with pytest.raises(Unauthenticated, match="email or password is wrong"):
        await world.c.log_in().execute(LogInCommand("ops@example.com", PASSWORD))
    assert world.hasher.work == 1


async def test_a_malformed_email_or_an_overlong_password_is_just_wrong() -> None:
    world = World()
    await sign_up(world)
    for command in (LogInCommand("ann", PASSWORD), LogInCommand("ann@example.com", "x" * 300)):
        with pytest.raises(Unauthenticated, match="email or password is wrong"):
            await world.c.log_in().execute(command)


async def test_a_hash_with_old_parameters_is_replaced_at_log_in() -> None:
    world = World()
    made = await sign_up(world)
    old_hash = made.user.password_hash
    newer = FakePasswordHasher(version=2)
    world.c.password_hasher.override(newer)
    logged = await world.c.log_in().execute(LogInCommand("ann@example.com", PASSWORD))
    stored = world.db.tables.users[made.user.id].password_hash
    assert stored != old_hash and stored is not None and not newer.needs_rehash(stored)
    assert logged.user.password_hash == stored
    assert newer.hashed == 1
    await world.c.log_in().execute(LogInCommand("ann@example.com", PASSWORD))
    assert newer.hashed == 1  # current now: verified, not rehashed


# ---------------------------------------------------------------- tokens


async def test_a_session_expires_after_fourteen_days() -> None:
    world = World()
    made = await sign_up(world)
    world.clock.advance(timedelta(days=14) - timedelta(seconds=1))
    await authenticate(world, made.token)
    world.clock.advance(1)
    with pytest.raises(Unauthenticated, match="invalid, expired or revoked"):
        await authenticate(world, made.token)


async def test_log_out_revokes_that_session_only_and_is_idempotent() -> None:
    world = World()
    made = await sign_up(world)
    other = await world.c.log_in().execute(LogInCommand("ann@example.com", PASSWORD))
    log_out = world.c.log_out()
    await log_out.execute(LogOutCommand(made.token))
    await log_out.execute(LogOutCommand(made.token))
    await log_out.execute(LogOutCommand("afp_s_" + "A" * 43))  # unknown: nothing happens
    await log_out.execute(LogOutCommand("nonsense"))
    with pytest.raises(Unauthenticated):
        await authenticate(world, made.token)
    await authenticate(world, other.token)


@pytest.mark.parametrize(
    "token", ["", "nonsense", "afp_s_short", "afp_k_" + "A" * 43, "Bearer afp_s_" + "A" * 43]
)
async def test_an_unknown_or_malformed_token_is_unauthenticated(token: str) -> None:
    world = World()
    await sign_up(world)
    with pytest.raises(Unauthenticated):
        await authenticate(world, token)


async def test_a_token_with_the_other_kinds_prefix_is_refused() -> None:
    world = World()
    made = await sign_up(world)
    swapped = "afp_k_" + made.token.removeprefix("afp_s_")
    with pytest.raises(Unauthenticated):
        await authenticate(world, swapped)


async def test_an_admin_principal_is_admin() -> None:
    world = World()
    await world.c.create_user().execute(
        CreateUserCommand(email="boss@example.com", role=Role.ADMIN)
    )
    boss = world.db.tables.users[next(iter(world.db.tables.users))]
    key = await world.c.create_api_key().execute(CreateApiKeyCommand(boss.id, "ops"))
    principal = await world.c.authenticate().execute(AuthenticateCommand(key.token))
    assert principal.is_admin and principal.kind is CredentialKind.API_KEY
    assert principal.credential_id == key.key_id


# ---------------------------------------------------------------- API keys


async def test_an_api_key_is_shown_once_listed_without_its_secret_and_revoked() -> None:
    world = World()
    ann = (await sign_up(world)).user.id
    made = await world.c.create_api_key().execute(CreateApiKeyCommand(ann, "  ci  "))
    assert re.fullmatch(r"afp_k_[A-Za-z0-9_-]{43}", made.token)
    assert (made.name, made.created_at) == ("ci", world.clock.now())
    principal = await world.c.authenticate().execute(AuthenticateCommand(made.token))
    assert (principal.user_id, principal.credential_id) == (ann, made.key_id)

    [info] = await world.c.list_api_keys().execute(ListApiKeysCommand(ann))
    assert (info.key_id, info.name, info.last_used_at, info.revoked_at) == (
        made.key_id,
        "ci",
        world.clock.now(),
        None,
    )
    assert made.token not in repr(info) and hash_token(made.token) not in repr(info)

    world.clock.advance(5)
    revoked = await world.c.revoke_api_key().execute(RevokeApiKeyCommand(ann, made.key_id))
    assert revoked.revoked_at == world.clock.now()
    world.clock.advance(5)
    again = await world.c.revoke_api_key().execute(RevokeApiKeyCommand(ann, made.key_id))
    assert again.revoked_at == revoked.revoked_at  # idempotent: the first time is kept
    with pytest.raises(Unauthenticated):
        await authenticate(world, made.token)
    [listed] = await world.c.list_api_keys().execute(ListApiKeysCommand(ann))
    assert listed.revoked_at == revoked.revoked_at


async def test_api_keys_never_expire_and_their_use_is_written_at_most_once_a_minute() -> None:
    world = World()
    ann = (await sign_up(world)).user.id
    key = await world.c.create_api_key().execute(CreateApiKeyCommand(ann, "ci"))
    first_use = world.clock.now()
    await authenticate(world, key.token)
    commits = world.db.commits
    world.clock.advance(59)
    await authenticate(world, key.token)
    assert world.db.commits == commits  # a read, no write
    assert world.db.tables.credentials[key.key_id].last_used_at == first_use
    world.clock.advance(timedelta(days=400))
    await authenticate(world, key.token)
    assert world.db.tables.credentials[key.key_id].last_used_at == world.clock.now()


async def test_another_users_key_is_not_found_and_not_listed() -> None:
    world = World()
    ann = (await sign_up(world)).user.id
    bob_session = await sign_up(world, "bob@example.com")
    bob = bob_session.user.id
    key = await world.c.create_api_key().execute(CreateApiKeyCommand(ann, "ci"))
    with pytest.raises(NotFound):
        await world.c.revoke_api_key().execute(RevokeApiKeyCommand(bob, key.key_id))
    assert await world.c.list_api_keys().execute(ListApiKeysCommand(bob)) == []
    await authenticate(world, key.token)  # still valid
    bob_principal = await world.c.authenticate().execute(AuthenticateCommand(bob_session.token))
    with pytest.raises(NotFound):  # a session is not an API key, even one's own
        await world.c.revoke_api_key().execute(
            RevokeApiKeyCommand(bob, bob_principal.credential_id)
        )


async def test_keys_are_listed_oldest_first_and_sessions_are_not_listed() -> None:
    world = World()
    ann = (await sign_up(world)).user.id
    for name in ("one", "two", "three"):
        await world.c.create_api_key().execute(CreateApiKeyCommand(ann, name))
        world.clock.advance(1)
    listed = await world.c.list_api_keys().execute(ListApiKeysCommand(ann))
    assert [k.name for k in listed] == ["one", "two", "three"]


async def test_a_key_needs_a_name_and_an_existing_user() -> None:
    world = World()
    ann = (await sign_up(world)).user.id
    for name in ("", "   ", "x" * 101):
        with pytest.raises(ValidationFailed, match="1 to 100 characters"):
            await world.c.create_api_key().execute(CreateApiKeyCommand(ann, name))
    with pytest.raises(NotFound):
        await world.c.create_api_key().execute(CreateApiKeyCommand(UserId("ghost"), "ci"))


# ---------------------------------------------------------------- verified tokens (5 s memory)


async def test_a_token_revoked_elsewhere_is_refused_once_its_memory_ages_out() -> None:
    world = World()
    made = await sign_up(world)
    await authenticate(world, made.token)
    [stored] = world.db.tables.credentials.values()
    stored.revoked_at = world.clock.now()  # another process logged it out
    await authenticate(world, made.token)  # still remembered here, for at most 5 s
    world.clock.advance(5)
    with pytest.raises(Unauthenticated):
        await authenticate(world, made.token)


async def test_a_revoked_api_key_is_forgotten_at_once_in_this_process() -> None:
    world = World()
    user = await world.user()
    key = await world.c.create_api_key().execute(CreateApiKeyCommand(user, "ci"))
    await authenticate(world, key.token)
    await world.c.revoke_api_key().execute(RevokeApiKeyCommand(user, key.key_id))
    with pytest.raises(Unauthenticated):
        await authenticate(world, key.token)


async def test_a_remembered_session_ends_at_its_expiry_and_an_api_key_is_still_touched() -> None:
    world = World()
    made = await sign_up(world)
    world.clock.advance(timedelta(days=14) - timedelta(seconds=2))
    await authenticate(world, made.token)
    world.clock.advance(2)  # inside the 5 s memory, but the session has expired
    with pytest.raises(Unauthenticated):
        await authenticate(world, made.token)
    user = await world.user()
    key = await world.c.create_api_key().execute(CreateApiKeyCommand(user, "ci"))
    for _ in range(3):  # remembered between the database look-ups: touched once a minute
        await authenticate(world, key.token)
        world.clock.advance(30)
        await authenticate(world, key.token)
        world.clock.advance(31)
        assert world.db.tables.credentials[
            key.key_id
        ].last_used_at == world.clock.now() - timedelta(seconds=61)


def test_a_verification_that_raced_a_revocation_is_not_remembered() -> None:
    tokens = VerifiedTokens()
    generation = tokens.generation
    tokens.forget("h")  # revoked while the verification was reading the database
    principal = Principal(UserId("u"), Role.USER, "c", CredentialKind.SESSION)
    tokens.put("h", _Verified(principal, datetime.max.replace(tzinfo=UTC), None), generation)
    assert tokens.get("h", datetime.now(UTC)) is None


async def test_concurrent_requests_with_a_token_not_remembered_share_one_look_up() -> None:
    import asyncio

    tokens = VerifiedTokens()
    calls = 0
    gate = asyncio.Event()
    principal = Principal(UserId("u"), Role.USER, "c", CredentialKind.SESSION)

    async def verify() -> Principal:
        nonlocal calls
        calls += 1
        await gate.wait()
        return principal

    waiting = [asyncio.ensure_future(tokens.single_flight("h", verify)) for _ in range(20)]
    await asyncio.sleep(0)
    waiting[0].cancel()  # one caller going away does not cancel the others' look-up
    gate.set()
    answers = await asyncio.gather(*waiting[1:])
    assert (calls, set(answers)) == (1, {principal})

    async def refuse() -> Principal:
        nonlocal calls
        calls += 1
        raise Unauthenticated("no")

    refused = await asyncio.gather(
        *(tokens.single_flight("h", refuse) for _ in range(5)), return_exceptions=True
    )
    assert calls == 2  # a new flight once the first landed; its refusal is shared
    assert all(isinstance(r, Unauthenticated) for r in refused)
