"""Initial schema: every table of the seed and the design.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afp_adapters.sql.tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("result_ref", sa.String(length=200), nullable=False),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("run_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('waiting', 'running', 'done', 'failed')", name=op.f("ck_jobs_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_status_run_at", ["status", "run_at"], unique=False)
        batch_op.create_index(
            "uq_jobs_waiting_dedupe",
            ["dedupe_key"],
            unique=True,
            sqlite_where=sa.text("status = 'waiting' AND dedupe_key IS NOT NULL"),
            postgresql_where=sa.text("status = 'waiting' AND dedupe_key IS NOT NULL"),
        )

    op.create_table(
        "users",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("credits_balance", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credits_reserved", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credits_debt", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("updated_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('user', 'admin')", name=op.f("ck_users_role_known")),
        sa.CheckConstraint("credits_balance >= 0", name=op.f("ck_users_balance_not_negative")),
        sa.CheckConstraint("credits_debt >= 0", name=op.f("ck_users_debt_not_negative")),
        sa.CheckConstraint(
            "credits_reserved <= credits_balance", name=op.f("ck_users_reserved_within_balance")
        ),
        sa.CheckConstraint("credits_reserved >= 0", name=op.f("ck_users_reserved_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "webhook_events",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "event_id", name=op.f("pk_webhook_events")),
    )
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
        "credit_holds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("captured", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("released", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("expires_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("ended_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "(status = 'OPEN') = (captured + released < amount)",
            name=op.f("ck_credit_holds_open_iff_remainder"),
        ),
        sa.CheckConstraint(
            "status IN ('OPEN', 'SETTLED', 'EXPIRED')", name=op.f("ck_credit_holds_status_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_credit_holds_amount_positive")),
        sa.CheckConstraint(
            "captured + released <= amount", name=op.f("ck_credit_holds_parts_within_amount")
        ),
        sa.CheckConstraint(
            "captured >= 0 AND released >= 0", name=op.f("ck_credit_holds_parts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_credit_holds_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_holds")),
    )
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.create_index("ix_credit_holds_open_expiry", ["status", "expires_at"], unique=False)
        batch_op.create_index("ix_credit_holds_user_status", ["user_id", "status"], unique=False)

    op.create_table(
        "oauth_states",
        sa.Column("state", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("code_verifier", sa.String(length=200), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("expires_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_oauth_states_user_id_users")
        ),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_oauth_states")),
    )
    op.create_table(
        "purchases",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("pack_id", sa.String(length=40), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("price_amount", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("payment_id", sa.String(length=200), nullable=True),
        sa.Column("checkout_url", sa.Text(), nullable=True),
        sa.Column("refunded_credits", sa.BigInteger(), nullable=False),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.CheckConstraint("credits > 0", name=op.f("ck_purchases_credits_positive")),
        sa.CheckConstraint(
            "refunded_credits >= 0 AND refunded_credits <= credits",
            name=op.f("ck_purchases_refund_within_credits"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_purchases_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchases")),
        sa.UniqueConstraint("provider", "payment_id", name="uq_purchases_provider_payment"),
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
    op.create_table(
        "transactions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("hold_id", sa.String(length=40), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("payment_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "type IN ('PURCHASE', 'BONUS', 'GRANT', 'USAGE', 'REFUND', 'ADJUSTMENT')",
            name=op.f("ck_transactions_type_known"),
        ),
        sa.CheckConstraint(
            "amount <> 0 OR type = 'REFUND'", name=op.f("ck_transactions_amount_not_zero")
        ),
        sa.CheckConstraint(
            "balance_after >= 0", name=op.f("ck_transactions_balance_after_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_transactions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transactions_user_created", ["user_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_transactions_purchase_payment",
            ["provider", "payment_id"],
            unique=True,
            sqlite_where=sa.text("type = 'PURCHASE' AND payment_id IS NOT NULL"),
            postgresql_where=sa.text("type = 'PURCHASE' AND payment_id IS NOT NULL"),
        )

    op.create_table(
        "user_integrations",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("token_expires_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("connected_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_integrations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "provider", name=op.f("pk_user_integrations")),
    )
    op.create_table(
        "video_batches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_items", sa.Integer(), nullable=False),
        sa.Column("processed_items", sa.Integer(), nullable=False),
        sa.Column("total_credits_reserved", sa.BigInteger(), nullable=False),
        sa.Column("hold_id", sa.String(length=40), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("cancelled_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("updated_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "total_credits_reserved >= 0", name=op.f("ck_video_batches_reserved_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_video_batches_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_batches")),
    )
    with op.batch_alter_table("video_batches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_video_batches_user_created", ["user_id", "created_at"], unique=False
        )

    op.create_table(
        "batch_video_items",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("video_id", sa.String(length=40), nullable=True),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("credits_used", sa.BigInteger(), nullable=False),
        sa.Column(
            "options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("settled_at", afp_adapters.sql.tables.UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "credits_used >= 0 AND credits_used <= price",
            name=op.f("ck_batch_video_items_used_within_price"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["video_batches.id"],
            name=op.f("fk_batch_video_items_batch_id_video_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_video_items")),
    )
    with op.batch_alter_table("batch_video_items", schema=None) as batch_op:
        batch_op.create_index("ix_batch_video_items_batch", ["batch_id", "row_index"], unique=False)

    op.create_table(
        "videos",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "input_metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("final_script", sa.Text(), nullable=False),
        sa.Column("kie_task_id", sa.String(length=200), nullable=True),
        sa.Column("video_url", sa.Text(), nullable=True),
        sa.Column("result_key", sa.Text(), nullable=True),
        sa.Column("error_reason", sa.Text(), nullable=True),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("hold_id", sa.String(length=40), nullable=False),
        sa.Column("funding", sa.String(length=16), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=True),
        sa.Column("batch_item_id", sa.String(length=40), nullable=True),
        sa.Column(
            "assessment",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column(
            "history",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("deadline", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("updated_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.CheckConstraint("price >= 0", name=op.f("ck_videos_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["video_batches.id"], name=op.f("fk_videos_batch_id_video_batches")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_videos_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_videos")),
        sa.UniqueConstraint("kie_task_id", name=op.f("uq_videos_kie_task_id")),
    )
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.create_index("ix_videos_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_videos_user_created", ["user_id", "created_at"], unique=False)

    op.create_table(
        "video_posts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("video_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("publish_id", sa.String(length=200), nullable=True),
        sa.Column("post_id", sa.String(length=200), nullable=True),
        sa.Column("post_url", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.Column("updated_at", afp_adapters.sql.tables.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_video_posts_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_video_posts_video_id_videos")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_posts")),
    )
    with op.batch_alter_table("video_posts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_video_posts_user_created", ["user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("video_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_video_posts_user_created")

    op.drop_table("video_posts")
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_index("ix_videos_user_created")
        batch_op.drop_index("ix_videos_status_created")

    op.drop_table("videos")
    with op.batch_alter_table("batch_video_items", schema=None) as batch_op:
        batch_op.drop_index("ix_batch_video_items_batch")

    op.drop_table("batch_video_items")
    with op.batch_alter_table("video_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_video_batches_user_created")

    op.drop_table("video_batches")
    op.drop_table("user_integrations")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_transactions_purchase_payment",
            sqlite_where=sa.text("type = 'PURCHASE' AND payment_id IS NOT NULL"),
            postgresql_where=sa.text("type = 'PURCHASE' AND payment_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_transactions_user_created")

    op.drop_table("transactions")
    op.drop_table("sessions")
    op.drop_table("purchases")
    op.drop_table("oauth_states")
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_holds_user_status")
        batch_op.drop_index("ix_credit_holds_open_expiry")

    op.drop_table("credit_holds")
    op.drop_table("api_keys")
    op.drop_table("webhook_events")
    op.drop_table("users")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_jobs_waiting_dedupe",
            sqlite_where=sa.text("status = 'waiting' AND dedupe_key IS NOT NULL"),
            postgresql_where=sa.text("status = 'waiting' AND dedupe_key IS NOT NULL"),
        )
        batch_op.drop_index("ix_jobs_status_run_at")

    op.drop_table("jobs")
    op.drop_table("idempotency_keys")
