"""The status poll reads through the cheap path on SQL databases, through a unit of work
elsewhere."""

from __future__ import annotations

from pathlib import Path

from afp_adapters.sql.status_reads import PostgresStatusReads, SqliteStatusReads
from afp_bootstrap import Settings, build_container


def _reads(url: str) -> object:
    settings = Settings(_env_file=None, database_url=url, storage_url="memory://")  # type: ignore[call-arg]
    return build_container(settings).status_reads()


def test_each_database_gets_its_reader(tmp_path: Path) -> None:
    assert isinstance(_reads(f"sqlite+aiosqlite:///{tmp_path}/afp.db"), SqliteStatusReads)
    assert isinstance(
        _reads("postgresql+psycopg://postgres@127.0.0.1:5432/none"), PostgresStatusReads
    )
    assert _reads("memory://") is None
