"""Sign-up, log-in and API key schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from afp_core.domain.users import User
from afp_http.schemas._base import In, Out


class Credentials(In):
    email: str = Field(min_length=3, max_length=254, examples=["seller@example.com"])
    password: str = Field(min_length=1, max_length=256)


class UserOut(Out):
    id: str
    email: str
    role: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, email=user.email, role=user.role.value)


class SessionOut(Out):
    user: UserOut
    token: str = Field(description="A session token: send it as `Authorization: Bearer ...`")
    expires_at: datetime


class ApiKeyIn(In):
    name: str = Field(min_length=1, max_length=100, examples=["CI uploader"])


class ApiKeyCreatedOut(Out):
    id: str
    name: str
    token: str = Field(description="Shown once; only its hash is stored")
    created_at: datetime


class ApiKeyOut(Out):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeysOut(Out):
    items: list[ApiKeyOut]
