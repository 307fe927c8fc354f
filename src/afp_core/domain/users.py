"""Users and their roles."""

from __future__ import annotations

import enum
import re
from datetime import datetime

import attrs

from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import UserId
from afp_core.domain.pricing import PlanTier

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed(f"not an email address: {email!r}")
    return email


@attrs.define
class User:
    id: UserId
    email: str = attrs.field(converter=normalise_email)
    created_at: datetime
    role: Role = Role.USER
    plan: PlanTier = PlanTier.FREE
    password_hash: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


__all__ = ["Role", "User", "normalise_email"]
