"""Alembic environment: runs on the connection `afp_adapters.sql.migrate` hands it."""

from __future__ import annotations

from alembic import context

from afp_adapters.sql.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    compare_server_default=True,
    user_module_prefix="afp_adapters.sql.tables.",
    # procrastinate's tables (migration 0006) are its own, not in our models
    include_name=lambda name, *_: not (name or "").startswith("procrastinate_"),
)
with context.begin_transaction():
    context.run_migrations()
