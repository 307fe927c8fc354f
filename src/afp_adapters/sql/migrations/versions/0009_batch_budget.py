"""Bulk batches: a budget, a concurrency window, retries on holds of their own.

`video_batches.budget` caps what a batch may ever capture or hold (NULL: no cap);
`video_batches.concurrency` is how many of its items may be dispatched and unsettled at once;
`video_batches.retry_hold_ids` lists the holds its retries took (NULL: none yet).
`batch_video_items.hold_id` names a retried item's hold (NULL: the batch's own),
`attempts` counts its runs and `dispatched_at` says when its job was queued. Items of batches
started before this revision had every job queued at the start, so they count as dispatched
then.

Revision ID: 0009_batches
Revises: 0008_social
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afp_adapters.sql.tables

revision = "0009_batches"
down_revision = "0008_social"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("video_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("concurrency", sa.Integer(), nullable=False, server_default="4")
        )
        batch_op.add_column(
            sa.Column(
                "retry_hold_ids",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    with op.batch_alter_table("batch_video_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("dispatched_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True)
        )
    op.create_index("ix_batch_video_items_status", "batch_video_items", ["status"])
    op.execute(
        "UPDATE batch_video_items SET dispatched_at = (SELECT b.created_at FROM video_batches b"
        " WHERE b.id = batch_video_items.batch_id)"
    )


def downgrade() -> None:
    op.drop_index("ix_batch_video_items_status", table_name="batch_video_items")
    with op.batch_alter_table("batch_video_items", schema=None) as batch_op:
        batch_op.drop_column("dispatched_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("hold_id")
    with op.batch_alter_table("video_batches", schema=None) as batch_op:
        batch_op.drop_column("retry_hold_ids")
        batch_op.drop_column("concurrency")
        batch_op.drop_column("budget")
