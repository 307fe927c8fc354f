"""LogIn: an email and password for a new session."""

from __future__ import annotations

from datetime import datetime

import attrs

from afp_core.domain.credentials import PasswordPolicy, SessionPolicy
from afp_core.domain.errors import Unauthenticated, ValidationFailed
from afp_core.domain.users import User, normalise_email
from afp_core.ports.credentials import PasswordHasher
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._credentials import open_session

WRONG = "email or password is wrong"


@attrs.frozen
class LogInCommand:
    email: str
    password: str = attrs.field(repr=False)


@attrs.frozen
class LogInResult:
    user: User
    token: str = attrs.field(repr=False)
    expires_at: datetime


class LogIn:
    """`Unauthenticated` ("email or password is wrong") for an unknown email, a wrong password
    and a user without a password (made by `afp admin create-user`) alike, after the same
    hashing work, so neither the answer nor its timing tells which emails exist. A hash made
    with older parameters is replaced by a fresh one on a successful login."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        ids: IdGenerator,
        *,
        sessions: SessionPolicy = SessionPolicy(),  # noqa: B008 - frozen value object
        passwords: PasswordPolicy = PasswordPolicy(),  # noqa: B008 - frozen value object
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._ids = ids
        self._sessions = sessions
        self._passwords = passwords

    async def execute(self, command: LogInCommand) -> LogInResult:
        try:
            email = normalise_email(command.email)
        except ValidationFailed:
            raise Unauthenticated(WRONG) from None  # no such account can exist
        if len(command.password) > self._passwords.max_length:
            raise Unauthenticated(WRONG)  # no password this long was ever accepted
        async with self._uow() as uow:
            user = await uow.users.by_email(email)
        if user is None or user.password_hash is None:
            await self._hasher.hash(command.password)  # as long as a verify, then refused
            raise Unauthenticated(WRONG)
        if not await self._hasher.verify(user.password_hash, command.password):
            raise Unauthenticated(WRONG)
        rehashed = None
        if self._hasher.needs_rehash(user.password_hash):
            rehashed = await self._hasher.hash(command.password)
        now = self._clock.now()
        async with self._uow() as uow:
            if rehashed is not None:
                await uow.users.set_password_hash(user.id, rehashed, now)
                user.password_hash = rehashed
            token, expires_at = await open_session(uow, self._ids, self._sessions, user.id, now)
            await uow.commit()
        return LogInResult(user, token, expires_at)
