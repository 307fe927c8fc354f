"""Payments: every verified webhook delivery stored raw, purchases under review, refunds heard
of before their payment.

`webhook_events` gains the raw body, its sha256, the event's name and kind, the purchase it
concerns and what was done with it; `purchases` gains `review_reason` (a payment that did not
match: wrong amount, variant or currency), `paid_amount` (what the buyer paid, tax included: the
base for refund shares) and `pending_refund_amount` (the highest cumulative
refund delivered before the payment itself, applied when the payment is credited).

Revision ID: 0007_payments
Revises: 0006_procrastinate
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_payments"
down_revision = "0006_procrastinate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_name", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("purchase_id", sa.String(40), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("body_sha256", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("body", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("pending_refund_amount", sa.Numeric(18, 6), nullable=True))
        batch_op.add_column(sa.Column("paid_amount", sa.Numeric(18, 6), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_purchases_pending_refund_not_negative"),
            "pending_refund_amount IS NULL OR pending_refund_amount >= 0",
        )
    op.create_index("ix_webhook_events_purchase", "webhook_events", ["purchase_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_purchase", table_name="webhook_events")
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_purchases_pending_refund_not_negative"), type_="check")
        batch_op.drop_column("paid_amount")
        batch_op.drop_column("pending_refund_amount")
        batch_op.drop_column("review_reason")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_column("body")
        batch_op.drop_column("body_sha256")
        batch_op.drop_column("outcome")
        batch_op.drop_column("purchase_id")
        batch_op.drop_column("kind")
        batch_op.drop_column("event_name")
