"""Migrations step up and down on both dialects, and the models match the migrated schema."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from afp_adapters.sql import _mapping as m
from afp_adapters.sql import current_revision, downgrade, ensure_current, make_engine, upgrade
from afp_adapters.sql import tables as t
from afp_adapters.sql.database import SchemaBehind
from afp_adapters.sql.migrate import _config
from afp_adapters.sql.tables import metadata
from afp_core.domain.batch import Batch, BatchItem, ItemStatus
from afp_core.domain.ids import BatchId, BatchItemId, HoldId, UserId
from afp_core.domain.users import User
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


def a_batch_in_every_state() -> Batch:
    """Items pending, queued, running, succeeded, failed and cancelled, with microseconds."""
    t0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)

    def item(n: int, status: ItemStatus, *, sent: int | None, done: int | None) -> BatchItem:
        return BatchItem(
            BatchItemId(f"i{n}"),
            n + 2,
            f"https://shop.example.com/{n}",
            10 + n,
            status=status,
            credits_used=10 + n if status is ItemStatus.SUCCEEDED else 0,
            dispatched_at=None if sent is None else t0 + timedelta(seconds=sent),
            settled_at=None if done is None else t0 + timedelta(seconds=done, microseconds=777),
        )

    items = [
        item(0, ItemStatus.PENDING, sent=None, done=None),
        item(1, ItemStatus.PENDING, sent=1, done=None),
        item(2, ItemStatus.RUNNING, sent=1, done=None),
        item(3, ItemStatus.SUCCEEDED, sent=2, done=65),
        item(4, ItemStatus.FAILED, sent=3, done=9),
        item(5, ItemStatus.CANCELLED, sent=None, done=70),
    ]
    return Batch(BatchId("b-1"), UserId("u-1"), HoldId("h-1"), items, t0, t0)


async def counted_after_upgrade(url: str) -> None:
    await upgrade(url, "0009_batches")
    batch = a_batch_in_every_state()
    row = {k: v for k, v in m.batch_values(batch).items() if k not in m.TALLY_COLUMNS}
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            user = User(id=UserId("u-1"), email="u1@example.com", created_at=batch.created_at)
            await conn.execute(t.users.insert().values(**m.user_values(user)))
            await conn.execute(t.video_batches.insert().values(**row))
            await conn.execute(
                t.batch_video_items.insert(), [m.item_values(batch.id, i) for i in batch.items]
            )
        await upgrade(url)
        async with engine.connect() as conn:
            stored = (await conn.execute(sa.select(t.video_batches))).one()
    finally:
        await engine.dispose()
    assert m.header_from(stored._mapping).tally == batch.tally()


async def test_sqlite_migration_0010_counts_the_items_of_existing_batches(tmp_path: Path) -> None:
    await counted_after_upgrade(f"sqlite:///{tmp_path / 'c.db'}")


@pytest.mark.integration
async def test_postgres_migration_0010_counts_the_items_of_existing_batches() -> None:
    sql_support.require_postgres()
    name = f"afp_mig_{uuid.uuid4().hex[:10]}"
    url = sql_support.create_database(name)
    try:
        await counted_after_upgrade(url)
    finally:
        sql_support.drop_database(name)
