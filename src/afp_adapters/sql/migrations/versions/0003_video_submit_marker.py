"""A video's create call in flight (`videos.submit_started_at`), the recovery point that keeps
a render from being paid for twice after a crash mid-call.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afp_adapters.sql.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("submit_started_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_column("submit_started_at")
