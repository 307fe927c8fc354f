"""Opening an account, shared by `CreateUser` (operators) and `SignUp` (self-service)."""

from __future__ import annotations

from datetime import datetime

from afp_core.domain.events import CreditsGranted
from afp_core.domain.ledger import EntryType
from afp_core.domain.users import User
from afp_core.ports.unit_of_work import UnitOfWork


async def open_account(uow: UnitOfWork, user: User, *, starting_credits: int, now: datetime) -> int:
    """Add the user and its sign-up GRANT (if any) inside `uow`; the balance it starts with.
    A taken email is `Conflict` (the store's unique email decides between concurrent twins)."""
    await uow.users.add(user)
    if starting_credits <= 0:
        return 0
    receipt = await uow.ledger.credit(
        user.id,
        starting_credits,
        EntryType.GRANT,
        key=f"signup:{user.id}",
        now=now,
        reason="starting credits",
    )
    uow.events.record(CreditsGranted(now, user.id, starting_credits, "GRANT"))
    return receipt.balance
