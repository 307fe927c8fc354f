"""The procrastinate `App` AFP's workers and its job queue share, over psycopg 3."""

from __future__ import annotations

from procrastinate import App, PsycopgConnector
from sqlalchemy.engine import make_url


def libpq_conninfo(url: str) -> str:
    """`postgresql+psycopg://...` (SQLAlchemy's form) as libpq's `postgresql://...`."""
    parsed = make_url(url)
    if not parsed.drivername.startswith(("postgresql", "postgres")):
        raise ValueError("procrastinate's job queue needs PostgreSQL")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def procrastinate_app(database_url: str) -> App:
    """An App on this database; nothing connects until it is opened (`open_async`)."""
    return App(connector=PsycopgConnector(conninfo=libpq_conninfo(database_url)))


__all__ = ["libpq_conninfo", "procrastinate_app"]
