"""`afp migrate` and `afp admin ...`: operator tasks on the configured database."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from afp_bootstrap import (
    ConfigurationError,
    Container,
    build_container,
    close_database,
    open_database,
    reconcile_ledger,
)
from afp_cli._errors import fail_on_domain_errors
from afp_core.domain.errors import NotFound
from afp_core.domain.ids import UserId
from afp_core.domain.users import Role
from afp_core.usecases import (
    AdjustCreditsCommand,
    CreateUserCommand,
    RotateTokenKeysCommand,
    RotateTokenKeysResult,
)

admin = typer.Typer(help="Operator tasks: users and credits.", no_args_is_help=True)
T = TypeVar("T")


def _with_database(work: Callable[[Container], Awaitable[T]], *, migrate: bool = False) -> T:
    async def go() -> T:
        container = build_container()
        try:
            await open_database(container, migrate=migrate)
            return await work(container)
        finally:
            await close_database(container)

    with fail_on_domain_errors():
        return asyncio.run(go())


def migrate() -> None:
    """Upgrade the database schema (AFP_DATABASE_URL) to the newest revision."""

    async def work(container: Container) -> str:
        return container.checked_settings().database_url

    url = _with_database(work, migrate=True)
    if url.startswith("memory:"):
        typer.echo("the in-memory database has no schema to migrate")
        return
    typer.echo(f"database schema is current: {_redact(url)}")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True) if "://" in url else url


@admin.command("create-user")
def create_user(
    email: Annotated[str, typer.Argument(help="The new user's email")],
    is_admin: Annotated[bool, typer.Option("--admin", help="Give the admin role")] = False,
    credits: Annotated[int, typer.Option(min=0, help="Starting credits (a GRANT)")] = 0,
) -> None:
    """Create a user (prints its id)."""

    async def work(container: Container) -> str:
        result = await container.create_user().execute(
            CreateUserCommand(
                email=email, role=Role.ADMIN if is_admin else Role.USER, starting_credits=credits
            )
        )
        return result.user.id

    typer.echo(_with_database(work))


@admin.command("grant", context_settings={"ignore_unknown_options": True})
def grant(
    email: Annotated[str, typer.Argument(help="Whose account")],
    amount: Annotated[int, typer.Argument(help="Credits to add (negative to take away)")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the journal)")],
) -> None:
    """Adjust a user's credits with a recorded reason (an ADJUSTMENT entry)."""

    async def work(container: Container) -> int:
        async with container.uow()() as uow:
            user = await uow.users.by_email(email)
        if user is None:
            raise NotFound(f"no user with email {email}")
        operator = await _operator(container)
        result = await container.adjust_credits().execute(
            AdjustCreditsCommand(
                actor_id=operator,
                user_id=user.id,
                amount=amount,
                reason=reason,
                idempotency_key=f"cli-{secrets.token_hex(8)}",
            )
        )
        return result.balance.balance

    typer.echo(f"balance now {_with_database(work)}")


@admin.command("reconcile")
def reconcile() -> None:
    """Check the credits ledger's invariants on the database; exit 1 if any is broken."""

    async def work(container: Container) -> list[str]:
        found = await reconcile_ledger(container)
        return [f"{d.invariant} {d.subject}: {d.detail}" for d in found]

    problems = _with_database(work)
    for line in problems:
        typer.echo(line)
    if problems:
        typer.echo(f"error: {len(problems)} ledger discrepancy(ies)", err=True)
        raise typer.Exit(1)
    typer.echo("ledger consistent")


@admin.command("rotate-token-keys")
def rotate_token_keys() -> None:
    """Re-encrypt every stored platform token with the first key of AFP_TOKEN_KEYS (then the
    old keys can leave the ring); exit 1 if some tokens could not be re-encrypted."""

    async def work(container: Container) -> RotateTokenKeysResult:
        if not container.checked_settings().token_keys:
            raise ConfigurationError("AFP_TOKEN_KEYS is empty: set the key ring, the new key first")
        return await container.rotate_token_keys().execute(RotateTokenKeysCommand())

    done = _with_database(work)
    typer.echo(f"re-encrypted {done.rotated} connection(s); {done.current} already current")
    if done.unreadable:
        typer.echo(
            f"error: {done.unreadable} connection(s) decrypt with no key of the ring "
            "(their users must connect again)",
            err=True,
        )
    if done.busy:
        typer.echo(f"error: {done.busy} connection(s) were being refreshed: run again", err=True)
    if done.unreadable or done.busy:
        raise typer.Exit(1)


async def _operator(container: Container) -> UserId:
    """The command line acts as the built-in operator account (an admin), made on first use."""
    async with container.uow()() as uow:
        found = await uow.users.by_email("operator@afp.local")
    if found is not None:
        return UserId(found.id)
    result = await container.create_user().execute(
        CreateUserCommand(email="operator@afp.local", role=Role.ADMIN)
    )
    return UserId(result.user.id)
