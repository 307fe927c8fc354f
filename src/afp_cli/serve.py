"""`afp serve`: the HTTP API under uvicorn; `--demo` runs it on SQLite and fakes with a worker."""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import attrs
import typer

from afp_cli._errors import fail_on_domain_errors

if TYPE_CHECKING:
    from afp_bootstrap import Container

DEMO_CREDITS = 100


@attrs.frozen
class DemoLogin:
    role: str
    email: str
    password: str
    token: str


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="SQLite in a temp folder, fake providers, a job worker and seeded users",
        ),
    ] = False,
) -> None:
    """Run the HTTP API (OpenAPI at /schema/openapi.json)."""
    import uvicorn

    from afp_bootstrap.logs import configure_logging
    from afp_http import ApiOptions, create_app, create_app_from_settings

    configure_logging(json=True)
    if not demo:
        with fail_on_domain_errors():
            app = create_app_from_settings()
            asyncio.run(_check_database(app.state.services.container))
        uvicorn.run(app, host=host, port=port, log_config=None)
        return
    with tempfile.TemporaryDirectory(prefix="afp-serve-demo-") as folder:
        with fail_on_domain_errors():
            container = _demo_container(Path(folder))
            logins = asyncio.run(_seed(container))
        typer.echo(f"AFP demo API on http://{host}:{port} (data in {folder}, gone on exit)")
        for login in logins:
            typer.echo(
                f"  {login.role:<5} {login.email}  password: {login.password}  token: {login.token}"
            )
        app = create_app(container, options=ApiOptions(run_worker=True))
        uvicorn.run(app, host=host, port=port, log_config=None)


def _demo_container(folder: Path) -> Container:
    from datetime import timedelta

    from dependency_injector import providers
    from pydantic import SecretStr

    from afp_bootstrap import Settings, build_container
    from afp_core.domain.policy import SocialTiming, VideoTiming

    settings = Settings(
        providers="fake",
        database_url=f"sqlite:///{folder / 'demo.db'}",
        storage_url=f"file://{folder / 'media'}",
        fake_webhook_secret=SecretStr(secrets.token_hex(16)),
    )
    container = build_container(settings)
    container.video_timing.override(
        providers.Object(VideoTiming(poll_schedule_s=(1,), submit_backoff_s=(1,)))
    )
    container.social_timing.override(
        providers.Object(SocialTiming(post_check_delay=timedelta(seconds=1)))
    )
    return container


async def _check_database(container: Container) -> None:
    """Refuse, before the server starts, a database that cannot be used or is behind (exit 2
    with `run afp migrate`), instead of a failed application start-up."""
    from afp_bootstrap import close_database, open_database

    try:
        await open_database(container)
    finally:
        await close_database(container)


async def _seed(container: Container) -> list[DemoLogin]:
    """Migrate, then make an admin and a demo user with credits; every login is printed."""
    from afp_bootstrap import close_database, open_database
    from afp_bootstrap.jobs import schedule_sweep, schedule_token_refresh
    from afp_core.domain.users import Role
    from afp_core.usecases import (
        AdjustCreditsCommand,
        CreateUserCommand,
        LogInCommand,
        SignUpCommand,
    )

    await open_database(container, migrate=True)
    try:
        admin_password = secrets.token_urlsafe(12)
        admin = await container.create_user().execute(
            CreateUserCommand(
                email="admin@afp.local",
                role=Role.ADMIN,
                password_hash=await container.password_hasher().hash(admin_password),
            )
        )
        admin_session = await container.log_in().execute(
            LogInCommand("admin@afp.local", admin_password)
        )
        user_password = secrets.token_urlsafe(12)
        user = await container.sign_up().execute(SignUpCommand("demo@afp.local", user_password))
        await container.adjust_credits().execute(
            AdjustCreditsCommand(
                admin.user.id, user.user.id, DEMO_CREDITS, "demo credits", "demo-seed"
            )
        )
        await schedule_sweep(container)  # the in-process worker also sweeps stuck work
        await schedule_token_refresh(container)
    finally:
        await close_database(container)  # the server's event loop opens its own connections
    return [
        DemoLogin("admin", admin.user.email, admin_password, admin_session.token),
        DemoLogin("user", user.user.email, user_password, user.token),
    ]


__all__ = ["serve"]
