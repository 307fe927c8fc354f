"""`afp batch run FILE.csv --user EMAIL`: start a batch and follow it to its end.

The batch's jobs run here, in this process (the embedded worker loop, as `afp demo` does), while
a Rich progress bar on stderr shows the items ended, the credits captured and the time left.
Stopping it (Ctrl-C) leaves the batch running: `afp worker` carries on with it. With fake
providers the video timings are the demo's, short enough to watch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from dependency_injector import providers
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from afp_bootstrap import Container, build_container, close_database, job_runner, open_database
from afp_cli._errors import fail_on_domain_errors
from afp_core.domain.batch import BatchRow, BatchStatus
from afp_core.domain.batch_csv import parse_batch_csv
from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import BatchId, UserId
from afp_core.domain.policy import VideoTiming
from afp_core.usecases import (
    GetBatchStatusQuery,
    GetBatchStatusResult,
    QuoteBatchQuery,
    StartBatchCommand,
)

batch = typer.Typer(help="Bulk batches: many products from one CSV.", no_args_is_help=True)
IDLE_POLL_S = 0.2
T = TypeVar("T")


def read_rows(file: Path, max_rows: int) -> tuple[BatchRow, ...]:
    """The CSV's rows; an unreadable file is `ValidationFailed`, bad rows `InvalidRows`."""
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ValidationFailed(f"cannot read {file}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ValidationFailed(f"{file} is not UTF-8 text") from None
    return parse_batch_csv(text, max_rows=max_rows)


async def _user_id(c: Container, email: str) -> UserId:
    async with c.uow()(read_only=True) as uow:
        user = await uow.users.by_email(email)
    if user is None:
        raise ValidationFailed(f"no user with the email {email}")
    return UserId(user.id)


async def _quote(
    c: Container, rows: tuple[BatchRow, ...], email: str, budget: int | None, model: str
) -> None:
    user_id = await _user_id(c, email)
    quote = await c.quote_batch().execute(
        QuoteBatchQuery(user_id, rows, model=model, budget=budget)
    )
    for row in quote.rows:
        variants = f"\t{row.variants} variants" if row.variants > 1 else ""
        typer.echo(f"{row.line}\t{row.url}\t{row.price}{variants}")
    typer.echo(
        f"total {quote.total} credits for {quote.total_items} item(s); available "
        f"{quote.available}" + ("" if quote.budget is None else f"; budget {quote.budget}")
    )


def _describe(found: GetBatchStatusResult) -> str:
    p = found.progress
    eta = "" if found.eta is None else f" · about {int(found.eta.total_seconds())} s left"
    captured = found.credits.captured if found.credits else 0
    return f"{p.succeeded} ok · {p.failed} failed · {captured} credits charged{eta}"


async def _follow(
    c: Container, query: GetBatchStatusQuery, console: Console
) -> GetBatchStatusResult:
    runner = job_runner(c)
    poll = GetBatchStatusQuery(query.user_id, query.batch_id, with_items=False)  # no item read
    found = await c.get_batch_status().execute(poll)
    columns = (
        TextColumn("[bold]batch[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(_describe(found), total=found.progress.total)
        while found.status is BatchStatus.RUNNING:
            ran = await runner.run_due(limit=4)
            found = await c.get_batch_status().execute(poll)
            bar.update(task, completed=found.progress.processed, description=_describe(found))
            if not ran:
                await asyncio.sleep(IDLE_POLL_S)
    return await c.get_batch_status().execute(query)


async def _start(
    c: Container, rows: tuple[BatchRow, ...], email: str, budget: int | None, model: str
) -> GetBatchStatusResult:
    console = Console(stderr=True)
    user_id = await _user_id(c, email)
    started = await c.start_batch().execute(
        StartBatchCommand(user_id, rows, model=model, budget=budget)
    )
    console.print(
        f"batch {started.batch_id}: {started.total_items} item(s), "
        f"{started.credits_reserved} credit(s) held"
    )
    found = await _follow(c, GetBatchStatusQuery(user_id, BatchId(started.batch_id)), console)
    summary = Table(title="Batch summary", show_header=False)
    credits = found.credits
    summary.add_row("status", found.status.value)
    summary.add_row("succeeded", str(found.progress.succeeded))
    summary.add_row("failed", str(found.progress.failed))
    if credits is not None:
        summary.add_row("credits charged", str(credits.captured))
        summary.add_row("credits released", str(credits.released))
    console.print(summary)
    for item in found.items:
        if item.error:
            console.print(f"line {item.row_index}: {item.error}", markup=False)
    return found


async def _with_container(work: Callable[[Container], Awaitable[T]]) -> T:
    c = build_container()
    if c.checked_settings().provider_mode == "fake":  # the demo's timings: short to watch
        c.video_timing.override(
            providers.Object(VideoTiming(poll_schedule_s=(1,), submit_backoff_s=(1,)))
        )
    try:
        await open_database(c)
        return await work(c)
    finally:
        await close_database(c)


@batch.command("run")
def run(
    file: Annotated[Path, typer.Argument(help="The CSV: a `url` column, optional options")],
    user: Annotated[str, typer.Option("--user", help="The email of the user who pays")],
    budget: Annotated[
        int | None, typer.Option(min=1, help="Credits the batch may spend at most")
    ] = None,
    quote: Annotated[
        bool, typer.Option("--quote", help="Print the price per row and the total; start nothing")
    ] = False,
    model: Annotated[str, typer.Option(help="Video model for rows that name none")] = "veo3_fast",
) -> None:
    """Start a batch from FILE.csv and show its progress until it ends (exit 1 if any item
    failed; bad rows are listed, each with its line, and exit 2)."""
    with fail_on_domain_errors():
        rows = read_rows(file, max_rows=build_container().checked_settings().batch_max_rows)
        if quote:
            asyncio.run(_with_container(lambda c: _quote(c, rows, user, budget, model)))
            return
        found = asyncio.run(_with_container(lambda c: _start(c, rows, user, budget, model)))
    typer.echo(f"{found.batch_id} {found.status.value}")
    if found.status is not BatchStatus.COMPLETED:
        raise typer.Exit(1)


__all__ = ["batch", "read_rows"]
