"""SQL persistence: SQLite (embedded default) and PostgreSQL, through SQLAlchemy 2 async."""

from afp_adapters.sql.database import SchemaBehind, SqlDatabase, make_engine, normalise_url
from afp_adapters.sql.jobs import SqlJobQueue
from afp_adapters.sql.ledger import SqlCreditLedger
from afp_adapters.sql.migrate import (
    current_revision,
    downgrade,
    ensure_current,
    head_revision,
    upgrade,
)
from afp_adapters.sql.reconcile import Discrepancy, reconcile
from afp_adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = [
    "Discrepancy",
    "SchemaBehind",
    "SqlCreditLedger",
    "SqlDatabase",
    "SqlJobQueue",
    "SqlUnitOfWork",
    "current_revision",
    "downgrade",
    "ensure_current",
    "head_revision",
    "make_engine",
    "normalise_url",
    "reconcile",
    "upgrade",
]
