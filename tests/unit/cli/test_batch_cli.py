"""`afp batch run`: a CSV becomes a batch that runs here until it ends; bad input is exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from afp_cli import app

runner = CliRunner()
CSV = "\ufeffurl;notes\nhttps://shop.example.com/p/1;\nhttps://shop.example.com/p/2;\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("AFP_OPENAI_API_KEY", "AFP_KIE_API_KEY", "AFP_STORAGE_URL", "AFP_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AFP_PROVIDERS", "fake")


def _seller(credits: int) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    made = runner.invoke(
        app, ["admin", "create-user", "ann@example.com", "--credits", str(credits)]
    )
    assert made.exit_code == 0, made.output


def test_a_batch_runs_to_its_end_with_a_progress_bar(tmp_path: Path) -> None:
    _seller(credits=10)
    (tmp_path / "batch.csv").write_text(CSV, encoding="utf-8")
    args = ["batch", "run", "batch.csv", "--user", "ann@example.com", "--model", "afp-local"]
    quoted = runner.invoke(app, [*args, "--quote"])
    assert quoted.exit_code == 0, quoted.output
    assert quoted.stdout.strip().splitlines()[-1] == ("total 2 credits for 2 item(s); available 10")
    result = runner.invoke(app, [*args, "--budget", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(" COMPLETED")
    assert "2/2" in result.stderr and "Batch summary" in result.stderr
    after = runner.invoke(app, [*args, "--quote"])  # both videos were charged, nothing held
    assert after.stdout.strip().splitlines()[-1].endswith("available 8")


def test_bad_rows_a_missing_file_and_an_unknown_user_are_bad_input(tmp_path: Path) -> None:
    _seller(credits=10)
    (tmp_path / "bad.csv").write_text("url\nftp://x.test/1\nhttps://a.test/1\n", encoding="utf-8")
    bad = runner.invoke(app, ["batch", "run", "bad.csv", "--user", "ann@example.com"])
    assert bad.exit_code == 2
    assert bad.stderr.splitlines()[0] == "line 2 url: must be an http(s) URL with a host"
    missing = runner.invoke(app, ["batch", "run", "nope.csv", "--user", "ann@example.com"])
    assert missing.exit_code == 2
    assert missing.stderr.strip().startswith("error: validation_error: cannot read nope.csv")
    (tmp_path / "ok.csv").write_text(CSV, encoding="utf-8")
    nobody = runner.invoke(app, ["batch", "run", "ok.csv", "--user", "bob@example.com"])
    assert nobody.exit_code == 2
    assert "no user with the email bob@example.com" in nobody.stderr


def test_a_budget_below_the_total_refuses_the_batch(tmp_path: Path) -> None:
    _seller(credits=10)
    (tmp_path / "batch.csv").write_text(CSV, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "batch",
            "run",
            "batch.csv",
            "--user",
            "ann@example.com",
            "--model",
            "afp-local",
            "--budget",
            "1",
        ],
    )
    assert result.exit_code == 1
    assert "budget_exceeded" in result.stderr
