"""Issuing tokens, shared by `SignUp`, `LogIn` and `CreateApiKey`.

The random part of a token comes from the operating system's CSPRNG (`secrets`), never from
the `IdGenerator` port: ids may be predictable (the fakes' are), secrets must not be.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import attrs

from afp_core.domain.credentials import (
    TOKEN_BYTES,
    TOKEN_PREFIX,
    Credential,
    CredentialKind,
    Principal,
    SessionPolicy,
    hash_token,
)
from afp_core.domain.ids import UserId
from afp_core.ports.system import IdGenerator
from afp_core.ports.unit_of_work import UnitOfWork


def new_token(kind: CredentialKind) -> str:
    """`afp_s_...` or `afp_k_...`: the prefix and 32 random bytes, url-safe base64."""
    return TOKEN_PREFIX[kind] + secrets.token_urlsafe(TOKEN_BYTES)


async def issue(
    uow: UnitOfWork,
    ids: IdGenerator,
    *,
    user_id: UserId,
    kind: CredentialKind,
    name: str,
    now: datetime,
    expires_at: datetime | None,
) -> tuple[Credential, str]:
    """Store a new credential inside `uow`; the credential and its token (shown once)."""
    token = new_token(kind)
    credential = Credential(
        id=ids.new_id(),
        user_id=user_id,
        kind=kind,
        token_hash=hash_token(token),
        name=name,
        created_at=now,
        expires_at=expires_at,
    )
    await uow.credentials.add(credential)
    return credential, token


async def open_session(
    uow: UnitOfWork, ids: IdGenerator, policy: SessionPolicy, user_id: UserId, now: datetime
) -> tuple[str, datetime]:
    """Store a new session for the user inside `uow`; its token and when it expires."""
    expires_at = policy.expires_at(now)
    _, token = await issue(
        uow,
        ids,
        user_id=user_id,
        kind=CredentialKind.SESSION,
        name="session",
        now=now,
        expires_at=expires_at,
    )
    return token, expires_at


@attrs.frozen
class _Verified:
    principal: Principal
    until: datetime  # the entry's end: its TTL, or the credential's expiry if sooner
    last_used_at: datetime | None  # an API key's, as stored (its touch is due a minute later)


class VerifiedTokens:
    """A bounded LRU of tokens verified in the last `ttl`, keyed by the token's SHA-256.

    Only what the database said is kept (a principal, never a token); refusals are not kept.
    `forget` drops an entry and makes every verification still in flight unable to store its
    result, so a token revoked in this process is refused by the next request.

    `single_flight` runs one verification per token at a time: when an entry ages out under
    load, the requests that find it gone share one database look-up instead of each making
    their own (a stampede of identical queries every `ttl`)."""

    def __init__(self, ttl: timedelta = timedelta(seconds=5), max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Verified] = OrderedDict()
        self._flights: dict[str, asyncio.Future[Principal]] = {}
        self.generation = 0  # bumped by `forget`

    async def single_flight(
        self, token_hash: str, verify: Callable[[], Awaitable[Principal]]
    ) -> Principal:
        """`verify()`'s answer, shared with every caller asking for the same token meanwhile
        (its exception too). A caller that goes away does not cancel the others' look-up."""
        flight = self._flights.get(token_hash)
        if flight is None:
            flight = asyncio.ensure_future(verify())
            self._flights[token_hash] = flight
            flight.add_done_callback(lambda done: self._landed(token_hash, done))
        return await asyncio.shield(flight)

    def _landed(self, token_hash: str, flight: asyncio.Future[Principal]) -> None:
        if self._flights.get(token_hash) is flight:
            del self._flights[token_hash]
        if not flight.cancelled():
            flight.exception()  # retrieved: every waiter may have gone

    def get(self, token_hash: str, now: datetime) -> _Verified | None:
        found = self._entries.get(token_hash)
        if found is None:
            return None
        if now >= found.until:
            del self._entries[token_hash]
            return None
        self._entries.move_to_end(token_hash)
        return found

    def put(self, token_hash: str, entry: _Verified, generation: int) -> None:
        """Keep `entry` unless a `forget` happened since `generation` was read."""
        if generation != self.generation or self.ttl <= timedelta(0):
            return
        self._entries[token_hash] = entry
        self._entries.move_to_end(token_hash)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, token_hash: str) -> None:
        self.generation += 1
        self._entries.pop(token_hash, None)
