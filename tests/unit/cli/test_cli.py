"""The `afp` command line: the demo works end to end; bad input is a one-liner and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from afp_adapters.sql.migrate import head_revision
from afp_cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (
        "AFP_OPENAI_API_KEY",
        "AFP_KIE_API_KEY",
        "AFP_PROVIDERS",
        "AFP_STORAGE_URL",
        "AFP_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.slow
def test_the_demo_runs_the_whole_pipeline_and_prints_the_stored_video(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.is_relative_to(tmp_path)
    assert path.read_bytes()[4:8] == b"ftyp"
    assert "published to TikTok: PUBLISHED" in result.stderr
    assert "balance now" in result.stderr


def test_a_url_that_may_not_be_fetched_is_bad_input() -> None:
    result = runner.invoke(app, ["demo", "ftp://example.com/x"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: blocked_url: only http(s) URLs with a host can be fetched: 'ftp://example.com/x'"
    )


def test_an_unknown_model_is_bad_input() -> None:
    result = runner.invoke(app, ["demo", "--model", "nope"])
    assert result.exit_code == 2
    assert "validation_error: unknown video model 'nope'" in result.stderr


def test_a_demo_user_without_credits_fails_the_job() -> None:
    result = runner.invoke(app, ["demo", "--credits", "0"])
    assert result.exit_code == 1
    assert "insufficient_credits" in result.stderr


def test_the_version_is_printed() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0 and result.stdout.strip() == "0.1.0"


def test_a_bad_setting_is_a_one_line_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFP_CREDIT_PACKS", "[{not json")
    result = runner.invoke(app, ["demo"])
    last = result.stderr.strip().splitlines()[-1]
    assert result.exit_code == 2
    assert last.startswith("error: configuration: AFP_CREDIT_PACKS: ")
    assert "is not valid JSON" in last


def test_an_unsupported_storage_url_fails_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFP_STORAGE_URL", "ftp://bucket/videos")
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 2
    assert "AFP_STORAGE_URL" in result.stderr
    assert "✓" not in result.stderr


def test_commands_refuse_a_database_that_was_never_migrated() -> None:
    result = runner.invoke(app, ["admin", "create-user", "ann@example.com"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: configuration: the database schema is empty but this AFP needs "
        f"{head_revision()}: run `afp migrate`"
    )


def test_migrate_then_operate_on_the_embedded_database(tmp_path: Path) -> None:
    migrated = runner.invoke(app, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert (tmp_path / "afp.db").is_file()
    created = runner.invoke(app, ["admin", "create-user", "ann@example.com", "--credits", "5"])
    assert created.exit_code == 0, created.output
    granted = runner.invoke(app, ["admin", "grant", "ann@example.com", "10", "--reason", "promo"])
    assert granted.stdout.strip() == "balance now 15"
    taken = runner.invoke(app, ["admin", "grant", "ann@example.com", "-3", "--reason", "fix"])
    assert taken.stdout.strip() == "balance now 12"
    overdraw = runner.invoke(app, ["admin", "grant", "ann@example.com", "-99", "--reason", "x"])
    assert overdraw.exit_code == 1
    assert "insufficient_credits" in overdraw.stderr
    again = runner.invoke(app, ["admin", "create-user", "ANN@example.com"])
    assert again.exit_code == 1
    assert "conflict" in again.stderr
    assert runner.invoke(app, ["migrate"]).exit_code == 0  # idempotent
    checked = runner.invoke(app, ["admin", "reconcile"])
    assert (checked.exit_code, checked.stdout.strip()) == (0, "ledger consistent")


def test_serve_refuses_a_database_that_was_never_migrated_before_starting() -> None:
    result = runner.invoke(app, ["serve", "--port", "8799"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].endswith("run `afp migrate`")


def test_payments_reconcile_lists_a_purchase_paid_here_but_never_credited(
    tmp_path: Path,
) -> None:
    import asyncio
    import json
    from datetime import UTC, datetime

    from afp_adapters.fakes import SequentialIds
    from afp_adapters.sql import SqlDatabase
    from afp_core.domain.ids import PurchaseId, UserId
    from afp_core.domain.money import Money
    from afp_core.domain.payments import PaymentProviderName, Purchase, PurchaseStatus
    from afp_core.domain.users import User

    assert runner.invoke(app, ["migrate"]).exit_code == 0
    clean = runner.invoke(app, ["payments", "reconcile"])
    assert (clean.exit_code, clean.stdout.strip()) == (0, "0 purchase(s) checked, 0 disagree")

    async def seed() -> None:
        db = SqlDatabase.from_url(f"sqlite+aiosqlite:///{tmp_path / 'afp.db'}", SequentialIds())
        now = datetime.now(UTC)
        async with db.unit_of_work() as uow:
            await uow.users.add(User(UserId("u1"), "ann@example.com", now))
            await uow.purchases.add(
                Purchase(
                    PurchaseId("p1"),
                    UserId("u1"),
                    "starter",
                    100,
                    Money("9.00", "USD"),
                    PaymentProviderName.FAKE,
                    now,
                    status=PurchaseStatus.PAID,
                    payment_id="pay-1",
                )
            )
            await uow.commit()
        await db.dispose()

    asyncio.run(seed())
    found = runner.invoke(app, ["payments", "reconcile", "--json"])
    assert found.exit_code == 1, found.output
    [item] = json.loads(found.stdout)["discrepancies"]
    assert item["purchase_id"] == "p1"
    assert "paid here, but the ledger credited 0 of 100" in item["problems"]
    assert runner.invoke(app, ["payments", "reconcile", "--days", "0"]).exit_code == 2
