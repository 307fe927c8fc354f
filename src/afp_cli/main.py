"""The `afp` console script."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Annotated

import typer

from afp_bootstrap.logs import configure_logging
from afp_cli._errors import fail_on_domain_errors
from afp_cli.admin import admin, migrate
from afp_cli.batch import batch
from afp_cli.payments import payments
from afp_cli.scrape import scrape
from afp_cli.serve import serve
from afp_cli.worker import worker

app = typer.Typer(
    name="afp",
    help="AFP: AI-generated UGC video ads from product pages, paid with prepaid credits.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def demo(
    url: Annotated[
        str | None, typer.Argument(help="A product URL (default: a bundled demo product)")
    ] = None,
    credits: Annotated[int, typer.Option(min=0, help="Credits the demo user starts with")] = 100,
    model: Annotated[str, typer.Option(help="Video model to render with")] = "afp-local",
) -> None:
    """Run the whole pipeline in one process on fakes: scrape, script, assess, video, store,
    publish. No keys, no network."""
    from afp_cli.demo import run_demo

    with fail_on_domain_errors():
        path = asyncio.run(run_demo(url=url, credits=credits, model=model))
    typer.echo(path)


app.command()(migrate)
app.command()(scrape)
app.command()(serve)
app.command()(worker)
app.add_typer(admin, name="admin")
app.add_typer(batch, name="batch")
app.add_typer(payments, name="payments")


@app.command()
def version() -> None:
    """Print the installed AFP version."""
    from importlib.metadata import version as dist_version

    typer.echo(dist_version("afp"))


def main() -> None:
    """Console-script entry point. Logs go to stderr; stdout carries only results."""
    configure_logging(json=os.environ.get("AFP_LOG_JSON", "").lower() in {"1", "true"})
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


__all__ = ["app", "main"]
