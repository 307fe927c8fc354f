"""AdjustCredits: admins only, with a reason, exactly once per key."""

from __future__ import annotations

import pytest

from afp_core.domain.errors import Forbidden, InsufficientCredits, ValidationFailed
from afp_core.domain.users import Role
from afp_core.usecases import AdjustCreditsCommand, CreateUserCommand
from tests.world import World


async def admin(world: World) -> str:
    made = await world.c.create_user().execute(
        CreateUserCommand(email="boss@example.com", role=Role.ADMIN)
    )
    return made.user.id


async def test_an_adjustment_is_applied_once_per_key_and_says_who_made_it() -> None:
    world = World()
    boss, user = await admin(world), await world.user(credits=10)
    adjust = world.c.adjust_credits()
    command = AdjustCreditsCommand(boss, user, 5, "goodwill", "adj-1")  # type: ignore[arg-type]
    first, again = await adjust.execute(command), await adjust.execute(command)
    assert (first.balance.balance, first.replayed) == (15, False)
    assert (again.balance.balance, again.replayed) == (15, True)
    [entry] = [e for e in await world.entries(user) if e.type == "ADJUSTMENT"]
    assert entry.reason == "goodwill (by boss@example.com)"


async def test_only_admins_adjust_and_only_with_a_reason_and_never_below_zero() -> None:
    world = World()
    boss, user = await admin(world), await world.user(credits=10)
    adjust = world.c.adjust_credits()
    with pytest.raises(Forbidden):
        await adjust.execute(AdjustCreditsCommand(user, user, 5, "me", "k1"))  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="needs a reason"):
        await adjust.execute(AdjustCreditsCommand(boss, user, 5, "  ", "k2"))  # type: ignore[arg-type]
    with pytest.raises(InsufficientCredits):
        await adjust.execute(AdjustCreditsCommand(boss, user, -11, "fix", "k3"))  # type: ignore[arg-type]
    assert (await world.balance(user)).balance == 10
