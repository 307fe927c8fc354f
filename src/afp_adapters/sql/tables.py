"""The schema, as SQLAlchemy Core tables. Alembic migrations own the real schema; a test keeps
these definitions and the migrated database identical (no autogenerate diff).

Names follow the seed (`users`, `videos`, `transactions`, `user_integrations`, `video_batches`,
`batch_video_items`, `video_posts`) plus what the design needs. Money rules the database
enforces on its own: balances and holds never negative, reserved never above balance, captures
and releases never above the hold, one PURCHASE entry per provider payment.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes on every dialect (SQLite stores them naive, in UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: sa.Dialect,  # noqa: ARG002 - SQLAlchemy's signature
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json: Any = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Id = sa.String(40)


def _ts(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, UtcDateTime(), nullable=nullable)


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("plan", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=True),
    sa.Column("credits_balance", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("credits_reserved", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("credits_debt", sa.BigInteger, nullable=False, server_default="0"),
    _ts("created_at"),
    _ts("updated_at"),
    sa.CheckConstraint("credits_balance >= 0", name="balance_not_negative"),
    sa.CheckConstraint("credits_reserved >= 0", name="reserved_not_negative"),
    sa.CheckConstraint("credits_reserved <= credits_balance", name="reserved_within_balance"),
    sa.CheckConstraint("credits_debt >= 0", name="debt_not_negative"),
    sa.CheckConstraint("role IN ('user', 'admin')", name="role_known"),
)

transactions = sa.Table(
    "transactions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("balance_after", sa.BigInteger, nullable=False),
    sa.Column("hold_id", Id, nullable=True),
    sa.Column("reference", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("provider", sa.String(32), nullable=True),
    sa.Column("payment_id", sa.String(200), nullable=True),
    _ts("created_at"),
    # a refund that finds nothing available still goes in the journal (amount 0, "N owed")
    sa.CheckConstraint("amount <> 0 OR type = 'REFUND'", name="amount_not_zero"),
    sa.CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
    sa.CheckConstraint(
        "type IN ('PURCHASE', 'BONUS', 'GRANT', 'USAGE', 'REFUND', 'ADJUSTMENT')",
        name="type_known",
    ),
    sa.Index("ix_transactions_user_created", "user_id", "created_at", "id"),
    sa.Index(
        "uq_transactions_purchase_payment",
        "provider",
        "payment_id",
        unique=True,
        sqlite_where=sa.text("type = 'PURCHASE' AND payment_id IS NOT NULL"),
        postgresql_where=sa.text("type = 'PURCHASE' AND payment_id IS NOT NULL"),
    ),
)

credit_holds = sa.Table(
    "credit_holds",
    metadata,
    sa.Column("id", Id, primary_key=True),
    # checked at commit: PostgreSQL's hold inserts its row before it locks the account row
    # (ledger.py); an immediate check would share a lock on that row with every hold queued on
    # it, a deferred one finds the row already locked by its own transaction
    sa.Column(
        "user_id",
        Id,
        sa.ForeignKey("users.id", deferrable=True, initially="DEFERRED"),
        nullable=False,
    ),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("captured", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("released", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reference", sa.Text, nullable=False),
    _ts("expires_at"),
    _ts("created_at"),
    _ts("ended_at", nullable=True),
    sa.CheckConstraint("amount > 0", name="amount_positive"),
    sa.CheckConstraint("captured >= 0 AND released >= 0", name="parts_not_negative"),
    sa.CheckConstraint("captured + released <= amount", name="parts_within_amount"),
    sa.CheckConstraint(
        "(status = 'OPEN') = (captured + released < amount)", name="open_iff_remainder"
    ),
    sa.CheckConstraint("status IN ('OPEN', 'SETTLED', 'EXPIRED')", name="status_known"),
    sa.Index("ix_credit_holds_user_status", "user_id", "status"),
    sa.Index("ix_credit_holds_open_expiry", "status", "expires_at"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("scope", sa.String(120), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("result_ref", sa.String(200), nullable=False),
    sa.Column("result", Json, nullable=True),
    _ts("created_at"),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("provider", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.String(200), primary_key=True),
    _ts("received_at"),
    sa.Column("event_name", sa.String(80), nullable=True),
    sa.Column("kind", sa.String(16), nullable=True),
    sa.Column("purchase_id", sa.String(40), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=True),
    sa.Column("body_sha256", sa.String(64), nullable=True),
    sa.Column("body", sa.LargeBinary, nullable=True),
    sa.Index("ix_webhook_events_purchase", "purchase_id"),
)

video_batches = sa.Table(
    "video_batches",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total_items", sa.Integer, nullable=False),
    sa.Column("processed_items", sa.Integer, nullable=False),
    sa.Column("total_credits_reserved", sa.BigInteger, nullable=False),
    sa.Column("hold_id", Id, nullable=False),
    sa.Column("metadata", Json, nullable=False),
    _ts("cancelled_at", nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
    sa.Column("budget", sa.BigInteger, nullable=True),
    sa.Column("concurrency", sa.Integer, nullable=False, server_default="4"),
    sa.Column("retry_hold_ids", Json, nullable=True),
    # the items' `BatchTally` (migration 0010), so work on one item reads no other item
    *(
        sa.Column(name, sa.Integer, nullable=False, server_default="0")
        for name in (
            "pending_items",
            "running_items",
            "succeeded_items",
            "failed_items",
            "cancelled_items",
            "in_flight_running",
            "in_flight_queued",
            "timed_items",
        )
    ),
    *(
        sa.Column(name, sa.BigInteger, nullable=False, server_default="0")
        for name in ("credits_captured", "credits_released", "timed_us")
    ),
    sa.CheckConstraint("total_credits_reserved >= 0", name="reserved_not_negative"),
    sa.Index("ix_video_batches_user_created", "user_id", "created_at"),
    sa.Index("ix_video_batches_status", "status"),
)

videos = sa.Table(
    "videos",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("input_metadata", Json, nullable=False),
    sa.Column("final_script", sa.Text, nullable=False),
    sa.Column("kie_task_id", sa.String(200), nullable=True, unique=True),
    sa.Column("video_url", sa.Text, nullable=True),
    sa.Column("result_key", sa.Text, nullable=True),
    sa.Column("error_reason", sa.Text, nullable=True),
    sa.Column("model", sa.String(80), nullable=False),
    sa.Column("price", sa.BigInteger, nullable=False),
    sa.Column("hold_id", Id, nullable=False),
    sa.Column("funding", sa.String(16), nullable=False),
    sa.Column("batch_id", Id, sa.ForeignKey("video_batches.id"), nullable=True),
    sa.Column("batch_item_id", Id, nullable=True),
    sa.Column("assessment", Json, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("polls", sa.Integer, nullable=False),
    sa.Column("history", Json, nullable=False),
    _ts("submit_started_at", nullable=True),
    _ts("deadline"),
    _ts("created_at"),
    _ts("updated_at"),
    sa.CheckConstraint("price >= 0", name="price_not_negative"),
    sa.Index("ix_videos_user_created", "user_id", "created_at"),
    sa.Index("ix_videos_status_created", "status", "created_at"),
)

batch_video_items = sa.Table(
    "batch_video_items",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("batch_id", Id, sa.ForeignKey("video_batches.id"), nullable=False),
    sa.Column("video_id", Id, nullable=True),
    sa.Column("row_index", sa.Integer, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("price", sa.BigInteger, nullable=False),
    sa.Column("credits_used", sa.BigInteger, nullable=False),
    sa.Column("options", Json, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    _ts("settled_at", nullable=True),
    sa.Column("hold_id", Id, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    _ts("dispatched_at", nullable=True),
    sa.CheckConstraint("credits_used >= 0 AND credits_used <= price", name="used_within_price"),
    sa.Index("ix_batch_video_items_batch", "batch_id", "row_index"),
    sa.Index("ix_batch_video_items_status", "status"),
    sa.Index("ix_batch_video_items_batch_status", "batch_id", "status", "row_index"),
)

purchases = sa.Table(
    "purchases",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("pack_id", sa.String(40), nullable=False),
    sa.Column("credits", sa.BigInteger, nullable=False),
    sa.Column("price_amount", sa.Numeric(18, 6), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("payment_id", sa.String(200), nullable=True),
    sa.Column("checkout_url", sa.Text, nullable=True),
    sa.Column("refunded_credits", sa.BigInteger, nullable=False),
    _ts("created_at"),
    sa.Column("review_reason", sa.Text, nullable=True),
    sa.Column("pending_refund_amount", sa.Numeric(18, 6), nullable=True),
    sa.Column("paid_amount", sa.Numeric(18, 6), nullable=True),
    sa.CheckConstraint(
        "pending_refund_amount IS NULL OR pending_refund_amount >= 0",
        name="pending_refund_not_negative",
    ),
    sa.CheckConstraint("credits > 0", name="credits_positive"),
    sa.CheckConstraint(
        "refunded_credits >= 0 AND refunded_credits <= credits", name="refund_within_credits"
    ),
    sa.UniqueConstraint("provider", "payment_id", name="uq_purchases_provider_payment"),
)

user_integrations = sa.Table(
    "user_integrations",
    metadata,
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("provider", sa.String(16), primary_key=True),
    sa.Column("access_token", sa.Text, nullable=False),
    sa.Column("refresh_token", sa.Text, nullable=True),
    _ts("token_expires_at", nullable=True),
    sa.Column("metadata", Json, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    _ts("connected_at"),
    _ts("refresh_claimed_until", nullable=True),  # the refresh lease (one refresher at a time)
    sa.Index("ix_user_integrations_status_expires", "status", "token_expires_at"),
)

oauth_states = sa.Table(
    "oauth_states",
    metadata,
    sa.Column("state", sa.String(200), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("provider", sa.String(16), nullable=False),
    sa.Column("code_verifier", sa.String(200), nullable=False),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    _ts("expires_at"),
)

video_posts = sa.Table(
    "video_posts",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("video_id", Id, sa.ForeignKey("videos.id"), nullable=False),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("caption", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    # the platform's reference for a publish in progress (an upload session URL can be long)
    sa.Column("publish_id", sa.Text, nullable=True),
    sa.Column("post_id", sa.String(200), nullable=True),
    sa.Column("post_url", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("checks", sa.Integer, nullable=False),
    sa.Column("metadata", Json, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    _ts("publish_started_at", nullable=True),  # set before the irreversible platform call
    sa.Index("ix_video_posts_user_created", "user_id", "created_at"),
)

credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    _ts("created_at"),
    _ts("expires_at", nullable=True),
    _ts("revoked_at", nullable=True),
    _ts("last_used_at", nullable=True),
    sa.CheckConstraint("kind IN ('session', 'api_key')", name="kind_known"),
    sa.Index("ix_credentials_user_id_kind", "user_id", "kind", "created_at"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("payload", Json, nullable=False),
    _ts("run_at"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("dedupe_key", sa.String(200), nullable=True),
    _ts("created_at"),
    _ts("claimed_at", nullable=True),  # when a worker took it: the start of its lease
    sa.CheckConstraint("status IN ('waiting', 'running', 'done', 'failed')", name="status_known"),
    sa.Index("ix_jobs_status_run_at", "status", "run_at"),
    sa.Index(
        "uq_jobs_waiting_dedupe",
        "dedupe_key",
        unique=True,
        sqlite_where=sa.text("status = 'waiting' AND dedupe_key IS NOT NULL"),
        postgresql_where=sa.text("status = 'waiting' AND dedupe_key IS NOT NULL"),
    ),
)

rate_limit_events = sa.Table(
    "rate_limit_events",
    metadata,
    # one row per rate-limit acquisition (a reservation: `at` may lie a few seconds ahead);
    # rows older than the window are pruned by `PostgresRateLimiter` as it goes
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("key", sa.String(120), nullable=False),
    _ts("at"),
    sa.Index("ix_rate_limit_events_key_at", "key", "at"),
)

__all__ = [
    "UtcDateTime",
    "batch_video_items",
    "credentials",
    "credit_holds",
    "idempotency_keys",
    "jobs",
    "metadata",
    "oauth_states",
    "purchases",
    "rate_limit_events",
    "transactions",
    "user_integrations",
    "users",
    "video_batches",
    "video_posts",
    "videos",
    "webhook_events",
]
