"""The console's own objects, in their own schema: migration_ops.

- coverage_snapshots: per-table coverage over time, for the history chart. The console takes one
  at most once a minute per table while it runs, and one after every backfill it runs.
- unresolved_owner_rows: owner_backfill_errors with each entity's name, for drill-down and export.

Downgrade keeps the schema and its rows: they are the migration's history.

Revision ID: 0040_console_schema
Revises: 0039_validate_owner_user_fk
"""

from alembic import op

revision = "0040_console_schema"
down_revision = "0039_validate_owner_user_fk"
branch_labels = None
depends_on = None

TABLES = ("crm_accounts", "crm_opportunities")  # frozen with this revision


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS migration_ops")
    op.execute("""
        CREATE TABLE IF NOT EXISTS migration_ops.coverage_snapshots (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            taken_at timestamptz NOT NULL DEFAULT now(),
            entity_type text NOT NULL,
            total_legacy bigint NOT NULL,
            resolved_fk bigint NOT NULL,
            resolved_pct numeric(5, 2) NOT NULL,
            reason text NOT NULL,
            CONSTRAINT coverage_snapshots_reason_check CHECK (reason IN ('interval', 'backfill'))
        )
    """)
    op.execute("""
        CREATE INDEX IF NOT EXISTS coverage_snapshots_entity_taken_idx
        ON migration_ops.coverage_snapshots (entity_type, taken_at)
    """)
    # One LEFT JOIN per table: an index probe per error row, so paging stays cheap.
    names = ", ".join(f"{table}.name" for table in TABLES)
    joins = "\n".join(
        f"LEFT JOIN {table} ON e.entity_type = '{table}' AND {table}.id = e.entity_id" for table in TABLES
    )
    op.execute(f"""
        CREATE OR REPLACE VIEW migration_ops.unresolved_owner_rows AS
        SELECT e.entity_type, e.entity_id, coalesce({names}) AS entity_name, e.owner_username,
               e.reason, e.first_seen_at, e.last_seen_at
        FROM owner_backfill_errors AS e
        {joins}
    """)


def downgrade() -> None:
    # The snapshots are the rollout's history: kept, as the owner migration keeps its data.
    op.execute("DROP VIEW IF EXISTS migration_ops.unresolved_owner_rows")
