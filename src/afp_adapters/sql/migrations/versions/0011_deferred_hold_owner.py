"""Credit holds: the foreign key to the account is checked at commit.

PostgreSQL's hold inserts its row with the idempotency key's claim, before the statement that
locks the account row (`afp_adapters/sql/ledger.py`). Checked at once, the foreign key would
take a share lock on that account row while other holds hold it for update, which turns its
lock into a multixact shared with every hold queued there; checked at commit (`DEFERRABLE
INITIALLY DEFERRED`), it finds the row locked by its own transaction. A hold whose account
does not exist still fails: at commit instead of at the insert. On SQLite the table is
rebuilt (SQLite cannot alter a constraint), keeping every row, check and index.

Revision ID: 0011_deferred_hold_owner
Revises: 0010_batch_items
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0011_deferred_hold_owner"
down_revision = "0010_batch_items"
branch_labels = None
depends_on = None

_FK = "fk_credit_holds_user_id_users"


def _set(*, deferred: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        timing = "DEFERRABLE INITIALLY DEFERRED" if deferred else "NOT DEFERRABLE"
        op.execute(f"ALTER TABLE credit_holds ALTER CONSTRAINT {_FK} {timing}")
        return
    with op.batch_alter_table("credit_holds", recreate="always") as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")
        batch_op.create_foreign_key(
            _FK,
            "users",
            ["user_id"],
            ["id"],
            deferrable=True if deferred else None,
            initially="DEFERRED" if deferred else None,
        )


def upgrade() -> None:
    _set(deferred=True)


def downgrade() -> None:
    _set(deferred=False)
