"""Migrations step up and down on both dialects, and the models match the migrated schema."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from afp_adapters.sql import current_revision, downgrade, ensure_current, make_engine, upgrade
from afp_adapters.sql.database import SchemaBehind
from afp_adapters.sql.migrate import _config
from afp_adapters.sql.tables import metadata
from tests import sql_support


def revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return {n for n in names if not _foreign(n)} - {"alembic_version"}


def _foreign(name: str | None) -> bool:
    """procrastinate's own tables (migration 0006, PostgreSQL only): not in our models."""
    return bool(name and name.startswith("procrastinate_"))


async def schema_diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync,
                        opts={
                            "compare_type": True,
                            "compare_server_default": True,
                            "include_name": lambda name, *_: not _foreign(name),
                        },
                    ),
                    metadata,
                )
            )
    finally:
        await engine.dispose()


async def step_every_revision(url: str) -> None:
    assert await tables(url) == set()
    previous = "base"
    for revision in revisions():
        await upgrade(url, revision)
        assert await current_revision(url) == revision
        await downgrade(url, previous)
        assert await current_revision(url) == (None if previous == "base" else previous)
        await upgrade(url, revision)
        previous = revision
    assert await tables(url) == set(metadata.tables)
    assert await schema_diff(url) == []  # no autogenerate diff
    await downgrade(url, "base")
    assert await tables(url) == set()


async def test_sqlite_migrations_step_up_and_down_and_match_the_models(tmp_path: Path) -> None:
    await step_every_revision(f"sqlite:///{tmp_path / 'm.db'}")


@pytest.mark.integration
async def test_postgres_migrations_step_up_and_down_and_match_the_models() -> None:
    sql_support.require_postgres()
    name = f"afp_mig_{uuid.uuid4().hex[:10]}"
    url = sql_support.create_database(name)
    try:
        await step_every_revision(url)
    finally:
        sql_support.drop_database(name)


async def test_a_schema_that_is_behind_is_refused_with_the_fix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    with pytest.raises(SchemaBehind, match="run `afp migrate`"):
        await ensure_current(url)
    await upgrade(url)
    await ensure_current(url)
