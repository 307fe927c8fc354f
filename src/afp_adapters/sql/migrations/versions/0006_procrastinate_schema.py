"""procrastinate's schema (its jobs, workers, events and periodic-defer tables, types and
functions), so `afp migrate` prepares a PostgreSQL database for `AFP_JOB_QUEUE=procrastinate`.

PostgreSQL only: a no-op on SQLite. The SQL is the installed procrastinate's own
(`SchemaManager.get_schema()`, procrastinate 3.x); a later procrastinate that changes its
schema needs a migration here applying its own migration files.

Beside it, `afp_defer_job_v1`: defers one job through `procrastinate_defer_jobs_v1`, and
returns NULL instead of failing when a waiting job already holds its queueing lock (our
dedupe key), so the unit of work that defers it is never aborted (the insert runs in the
function's own subtransaction).

Revision ID: 0006_procrastinate
Revises: 0005_job_lease
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0006_procrastinate"
down_revision = "0005_job_lease"
branch_labels = None
depends_on = None

DEFER_FUNCTION = """
CREATE FUNCTION afp_defer_job_v1(
    _task_name character varying,
    _args jsonb,
    _scheduled_at timestamp with time zone,
    _queueing_lock text
)
    RETURNS bigint
    LANGUAGE plpgsql
AS $$
BEGIN
    IF _queueing_lock IS NOT NULL AND EXISTS (
        SELECT 1 FROM procrastinate_jobs
         WHERE queueing_lock = _queueing_lock AND status = 'todo'
    ) THEN
        RETURN NULL;
    END IF;
    BEGIN
        RETURN (
            SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[
                ROW('default', _task_name, 0, NULL, _queueing_lock, _args, _scheduled_at)
            ]::procrastinate_job_to_defer_v1[]))
        );
    EXCEPTION WHEN unique_violation THEN
        RETURN NULL;  -- a concurrent transaction deferred the same key first
    END;
END;
$$;
"""

DROP_ALL = """
DROP FUNCTION IF EXISTS afp_defer_job_v1(character varying, jsonb, timestamp with time zone, text);
DO $$
DECLARE f record;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure AS signature
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
    LOOP
        EXECUTE 'DROP FUNCTION ' || f.signature || ' CASCADE';
    END LOOP;
END;
$$;
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
"""


def _execute(sql: str) -> None:
    # the driver's own multi-statement execution: no bind-parameter parsing of the SQL
    op.get_bind().exec_driver_sql(sql.replace("%", "%%"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager  # noqa: PLC0415 - optional, PostgreSQL only

    _execute(SchemaManager.get_schema())
    _execute(DEFER_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _execute(DROP_ALL)
