"""Sessions and API keys in one `credentials` table, found by the SHA-256 of their token.

Replaces the `sessions` and `api_keys` tables of 0001, which no code ever wrote (they are
dropped without moving rows; the downgrade recreates them empty).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afp_adapters.sql.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("expires_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True),
        sa.Column("revoked_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True),
        sa.Column("last_used_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('session', 'api_key')", name=op.f("ck_credentials_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_credentials_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_credentials_token_hash")),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credentials_user_id_kind", ["user_id", "kind", "created_at"], unique=False
        )
    op.drop_table("sessions")
    op.drop_table("api_keys")


def downgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("last_used_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True),
        sa.Column("revoked_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("expires_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("revoked_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index("ix_credentials_user_id_kind")
    op.drop_table("credentials")
