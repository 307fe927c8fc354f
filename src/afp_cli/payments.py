"""`afp payments reconcile`: purchases whose provider state and ledger state disagree."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from afp_bootstrap import Container
from afp_cli.admin import _with_database
from afp_core.usecases import PurchaseDiscrepancy, ReconcilePaymentsCommand, ReconcileReport

payments = typer.Typer(help="Money in: credit-pack purchases.", no_args_is_help=True)


def _as_json(item: PurchaseDiscrepancy) -> dict[str, object]:
    return {
        "purchase_id": item.purchase_id,
        "user_id": item.user_id,
        "provider": item.provider.value,
        "pack_id": item.pack_id,
        "status": item.status.value,
        "provider_state": item.provider_state.value if item.provider_state else None,
        "credits_granted": item.credits_granted,
        "credits_clawed_back": item.credits_clawed_back,
        "problems": list(item.problems),
    }


@payments.command("reconcile")
def reconcile(
    days: Annotated[
        int, typer.Option("--days", min=1, help="Check purchases made in the last DAYS days")
    ] = 30,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document")] = False,
) -> None:
    """List purchases whose provider state and ledger state disagree (changes nothing).

    Asks each payment provider for its record of every purchase of the period and compares it
    with the purchase and the ledger. Exit 0 when everything agrees, 1 when something is
    listed (handy in cron), 2 on bad input or configuration."""
    since = datetime.now(UTC) - timedelta(days=days)

    async def work(container: Container) -> ReconcileReport:
        return await container.reconcile_payments().execute(
            ReconcilePaymentsCommand(since=since, limit=limit)
        )

    report = _with_database(work)
    if as_json:
        document = {
            "checked": report.checked,
            "discrepancies": [_as_json(d) for d in report.discrepancies],
        }
        typer.echo(json.dumps(document, indent=2))
    else:
        for item in report.discrepancies:
            state = item.provider_state.value if item.provider_state else "unknown"
            typer.echo(
                f"{item.purchase_id} {item.provider.value} user={item.user_id}"
                f" pack={item.pack_id} ours={item.status.value} provider={state}"
                f" credited={item.credits_granted} clawed_back={item.credits_clawed_back}"
            )
            for problem in item.problems:
                typer.echo(f"  - {problem}")
        typer.echo(f"{report.checked} purchase(s) checked, {len(report.discrepancies)} disagree")
    if report.discrepancies:
        raise typer.Exit(1)
