"""Exit codes (contract.md): 0 success, 1 the job failed, 2 bad input — one line on stderr."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pydantic
import typer

from afp_bootstrap import ConfigurationError
from afp_core.domain.errors import (
    BlockedUrl,
    DomainError,
    InvalidRows,
    ScrapeBlocked,
    ValidationFailed,
)

BAD_INPUT = (ValidationFailed, BlockedUrl)


@contextlib.contextmanager
def fail_on_domain_errors() -> Iterator[None]:
    """Turn domain errors into a one-line message and the contract's exit code."""
    try:
        yield
    except InvalidRows as error:
        for row in error.errors:
            typer.echo(f"line {row.line} {row.column}: {row.reason}", err=True)
        typer.echo(f"error: {error.code}: {error.message}", err=True)
        raise typer.Exit(2) from None
    except BAD_INPUT as error:
        typer.echo(f"error: {error.code}: {error.message}", err=True)
        raise typer.Exit(2) from None
    except ScrapeBlocked as error:
        typer.echo(f"error: {error.code}: {error.message} ({error.next_steps})", err=True)
        raise typer.Exit(1) from None
    except DomainError as error:
        typer.echo(f"error: {error.code}: {error.message}", err=True)
        raise typer.Exit(1) from None
    except ConfigurationError as error:
        typer.echo(f"error: configuration: {error}", err=True)
        raise typer.Exit(2) from None
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        typer.echo(f"error: configuration: AFP_{where.upper()}: {first['msg']}", err=True)
        raise typer.Exit(2) from None
