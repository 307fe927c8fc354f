"""Social publishing that survives token expiry.

`user_integrations.refresh_claimed_until` is the refresh lease (one worker refreshes a
connection's tokens at a time) and an index finds the tokens that expire soonest;
`video_posts.publish_started_at` marks a post sent to its platform (set and committed before
the irreversible call, so a post is never sent twice) and `video_posts.publish_id` becomes text
(a platform's reference can be an upload session URL, longer than 200 characters).

Revision ID: 0008_social
Revises: 0007_payments
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afp_adapters.sql.tables

revision = "0008_social"
down_revision = "0007_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_integrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refresh_claimed_until", afp_adapters.sql.tables.UtcDateTime(), nullable=True)
        )
    with op.batch_alter_table("video_posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("publish_started_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True)
        )
        batch_op.alter_column(
            "publish_id", existing_type=sa.String(200), type_=sa.Text(), existing_nullable=True
        )
    op.create_index(
        "ix_user_integrations_status_expires",
        "user_integrations",
        ["status", "token_expires_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_user_integrations_status_expires", table_name="user_integrations")
    with op.batch_alter_table("video_posts", schema=None) as batch_op:
        batch_op.alter_column(
            "publish_id", existing_type=sa.Text(), type_=sa.String(200), existing_nullable=True
        )
        batch_op.drop_column("publish_started_at")
    with op.batch_alter_table("user_integrations", schema=None) as batch_op:
        batch_op.drop_column("refresh_claimed_until")
