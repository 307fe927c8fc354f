"""When a worker claimed a job (`jobs.claimed_at`): a job still `running` a lease after its
claim lost its worker, and the sweeper puts it back to `waiting`.

Rows already `running` keep a NULL `claimed_at` and count as stale at the first sweep.

Revision ID: 0005_job_lease
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afp_adapters.sql.tables

revision = "0005_job_lease"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
