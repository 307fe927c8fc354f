"""CreateApiKey, ListApiKeys, RevokeApiKey: a user's long-lived API keys.

A key's token is shown once, when it is created; only its hash is stored and nothing here
ever returns it again.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from afp_core.domain.credentials import Credential, CredentialKind, api_key_name
from afp_core.domain.errors import NotFound
from afp_core.domain.ids import UserId
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from afp_core.usecases._credentials import VerifiedTokens, issue


@attrs.frozen
class ApiKeyInfo:
    """What may be shown about a key: never its token or hash."""

    key_id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: Credential) -> ApiKeyInfo:
        return cls(key.id, key.name, key.created_at, key.last_used_at, key.revoked_at)


@attrs.frozen
class CreateApiKeyCommand:
    user_id: UserId
    name: str


@attrs.frozen
class CreateApiKeyResult:
    key_id: str
    name: str
    token: str = attrs.field(repr=False)
    created_at: datetime


class CreateApiKey:
    """A new key for the user, named 1 to 100 characters; it never expires until revoked."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    async def execute(self, command: CreateApiKeyCommand) -> CreateApiKeyResult:
        name = api_key_name(command.name)
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.users.get(command.user_id)  # NotFound for no such user
            key, token = await issue(
                uow,
                self._ids,
                user_id=command.user_id,
                kind=CredentialKind.API_KEY,
                name=name,
                now=now,
                expires_at=None,
            )
            await uow.commit()
        return CreateApiKeyResult(key.id, key.name, token, key.created_at)


@attrs.frozen
class ListApiKeysCommand:
    user_id: UserId


class ListApiKeys:
    """The user's keys, revoked ones included, oldest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, command: ListApiKeysCommand) -> list[ApiKeyInfo]:
        async with self._uow() as uow:
            keys = await uow.credentials.list_api_keys(command.user_id)
        return [ApiKeyInfo.of(k) for k in keys]


@attrs.frozen
class RevokeApiKeyCommand:
    user_id: UserId
    key_id: str


class RevokeApiKey:
    """Revoke one of the user's keys for good (again: no change). Another user's key, or an
    id that is not an API key, is `NotFound`."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, tokens: VerifiedTokens | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._tokens = tokens  # this process's verified tokens: the key is forgotten

    async def execute(self, command: RevokeApiKeyCommand) -> ApiKeyInfo:
        async with self._uow() as uow:
            key = await _own_key(uow, command.user_id, command.key_id)
            if key.revoke(self._clock.now()):
                await uow.credentials.save(key)
                await uow.commit()
        if self._tokens is not None:
            self._tokens.forget(key.token_hash)
        return ApiKeyInfo.of(key)


async def _own_key(uow: UnitOfWork, user_id: UserId, key_id: str) -> Credential:
    key = await uow.credentials.get(user_id, key_id)
    if key.kind is not CredentialKind.API_KEY:
        raise NotFound(f"API key {key_id} not found")
    return key
