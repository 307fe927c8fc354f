"""Schema migrations (Alembic) for SQLite and PostgreSQL, and the check that refuses to run
against a schema that is behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from afp_adapters.sql.database import SchemaBehind, make_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


async def _run(url: str, action: Any, *args: object) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: action(_config(sync), *args))
    finally:
        await engine.dispose()


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest)."""
    await _run(url, command.upgrade, revision)


async def downgrade(url: str, revision: str) -> None:
    """Take the schema down to `revision` (`base` removes every table)."""
    await _run(url, command.downgrade, revision)


async def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


async def ensure_current(url: str) -> None:
    """`SchemaBehind` unless the database is at the newest revision."""
    current, head = await current_revision(url), head_revision()
    if current != head:
        where = "is empty" if current is None else f"is at revision {current}"
        raise SchemaBehind(
            f"the database schema {where} but this AFP needs {head}: run `afp migrate`"
        )
