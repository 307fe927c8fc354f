"""SignUp: a new account with a password, and its first session."""

from __future__ import annotations

from datetime import datetime

import attrs

from afp_core.domain.credentials import PasswordPolicy, SessionPolicy
from afp_core.domain.errors import Conflict
from afp_core.domain.ids import UserId
from afp_core.domain.users import User, normalise_email
from afp_core.ports.credentials import PasswordHasher
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._accounts import open_account
from afp_core.usecases._credentials import open_session


@attrs.frozen
class SignUpCommand:
    email: str
    password: str = attrs.field(repr=False)


@attrs.frozen
class SignUpResult:
    user: User
    token: str = attrs.field(repr=False)
    expires_at: datetime


class SignUp:
    """A user (role user, plan free, no credits) with an argon2id password hash, plus a
    session. A taken email is `Conflict`, checked before the costly hash and again by the
    store's unique email, so of two concurrent sign-ups with one email exactly one wins.
    A weak password is `ValidationFailed`."""

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

    async def execute(self, command: SignUpCommand) -> SignUpResult:
        email = normalise_email(command.email)
        self._passwords.check(command.password, email=email)
        async with self._uow() as uow:
            taken = await uow.users.by_email(email) is not None
        if taken:
            raise Conflict(f"an account with the email {email} exists")
        password_hash = await self._hasher.hash(command.password)  # outside any unit of work
        now = self._clock.now()
        user = User(
            id=UserId(self._ids.new_id()),
            email=email,
            created_at=now,
            password_hash=password_hash,
        )
        async with self._uow() as uow:
            try:
                await open_account(uow, user, starting_credits=0, now=now)
            except Conflict:
                raise Conflict(f"an account with the email {email} exists") from None
            token, expires_at = await open_session(uow, self._ids, self._sessions, user.id, now)
            await uow.commit()
        return SignUpResult(user, token, expires_at)
