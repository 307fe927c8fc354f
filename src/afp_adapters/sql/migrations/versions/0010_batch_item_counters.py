"""Bulk batches: the batch row counts its items, so work on one item reads no other item.

`video_batches` gains the rest of a `BatchTally`: items per status (`pending_items` ...
`cancelled_items`), items dispatched and not settled (`in_flight_running`, `in_flight_queued`),
credits captured and released, and the items that ended with a dispatch and a settlement time
(`timed_items`) with those times together in microseconds (`timed_us`, for the ETA). Existing
batches are counted from their items. `ix_batch_video_items_batch_status` finds a batch's next
waiting items in row order; `ix_video_batches_status` finds the running batches whose counts
the concurrency limits sum.

Revision ID: 0010_batch_items
Revises: 0009_batches
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_batch_items"
down_revision = "0009_batches"
branch_labels = None
depends_on = None

_INTEGER = (
    "pending_items",
    "running_items",
    "succeeded_items",
    "failed_items",
    "cancelled_items",
    "in_flight_running",
    "in_flight_queued",
    "timed_items",
)
_BIG = ("credits_captured", "credits_released", "timed_us")
_STATUSES = ("PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED")

_ITEMS = "FROM batch_video_items i WHERE i.batch_id = video_batches.id"
_ENDED = (
    "i.status IN ('SUCCEEDED', 'FAILED') AND i.settled_at IS NOT NULL"
    " AND i.dispatched_at IS NOT NULL"
)
# dispatch to settlement in whole microseconds; SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'
_MICROSECONDS = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM (i.settled_at - i.dispatched_at)) * 1000000 AS BIGINT)",
    "sqlite": "((CAST(strftime('%s', i.settled_at) AS INTEGER)"
    " - CAST(strftime('%s', i.dispatched_at) AS INTEGER)) * 1000000"
    " + CAST(substr(i.settled_at, 21, 6) AS INTEGER)"
    " - CAST(substr(i.dispatched_at, 21, 6) AS INTEGER))",
}


def _count(where: str) -> str:
    return f"(SELECT COUNT(*) {_ITEMS} AND {where})"


def _sum(what: str, where: str) -> str:
    return f"(SELECT COALESCE(SUM({what}), 0) {_ITEMS} AND {where})"


def upgrade() -> None:
    with op.batch_alter_table("video_batches", schema=None) as batch_op:
        for name in _INTEGER:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        for name in _BIG:
            batch_op.add_column(
                sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
            )
    op.create_index("ix_video_batches_status", "video_batches", ["status"])
    op.create_index(
        "ix_batch_video_items_batch_status",
        "batch_video_items",
        ["batch_id", "status", "row_index"],
    )
    dispatched = "i.dispatched_at IS NOT NULL"
    counts = {
        **{f"{s.lower()}_items": _count(f"i.status = '{s}'") for s in _STATUSES},
        "in_flight_running": _count(f"i.status = 'RUNNING' AND {dispatched}"),
        "in_flight_queued": _count(f"i.status = 'PENDING' AND {dispatched}"),
        "credits_captured": _sum("i.credits_used", "1 = 1"),
        "credits_released": _sum("i.price", "i.status IN ('FAILED', 'CANCELLED')"),
        "timed_items": _count(_ENDED),
        "timed_us": _sum(_MICROSECONDS[op.get_context().dialect.name], _ENDED),
    }
    assignments = ", ".join(f"{column} = {value}" for column, value in counts.items())
    op.execute(f"UPDATE video_batches SET {assignments}")  # noqa: S608 - constants only


def downgrade() -> None:
    op.drop_index("ix_batch_video_items_batch_status", table_name="batch_video_items")
    op.drop_index("ix_video_batches_status", table_name="video_batches")
    with op.batch_alter_table("video_batches", schema=None) as batch_op:
        for name in reversed(_INTEGER + _BIG):
            batch_op.drop_column(name)
