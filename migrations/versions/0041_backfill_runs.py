"""Backfill runs: the batched runner's jobs, their progress and what each one fixed.

Downgrade keeps the table: the runs are the rollout's history.

Revision ID: 0041_backfill_runs
Revises: 0040_console_schema
"""

from alembic import op

revision = "0041_backfill_runs"
down_revision = "0040_console_schema"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE IF NOT EXISTS migration_ops.backfill_runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            status text NOT NULL DEFAULT 'queued',
            started_by text NOT NULL,
            source text NOT NULL,
            batch_size bigint NOT NULL,
            pause_ms bigint NOT NULL,
            resumed_from bigint REFERENCES migration_ops.backfill_runs (id),
            created_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            finished_at timestamptz,
            heartbeat_at timestamptz,
            current_table text,
            last_id bigint,
            tables_done text[] NOT NULL DEFAULT '{}',
            rows_total bigint,
            rows_scanned bigint NOT NULL DEFAULT 0,
            rows_resolved bigint NOT NULL DEFAULT 0,
            rows_unresolved bigint NOT NULL DEFAULT 0,
            batches bigint NOT NULL DEFAULT 0,
            retries bigint NOT NULL DEFAULT 0,
            cancel_requested_by text,
            coverage_before jsonb,
            coverage_after jsonb,
            remainder_after jsonb,
            error_kind text,
            error_message text,
            error_at timestamptz,
            CONSTRAINT backfill_runs_status_check CHECK (status IN
                ('queued', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled', 'interrupted')),
            CONSTRAINT backfill_runs_source_check CHECK (source IN ('console', 'cli'))
        )
    """)
    op.execute("""
        CREATE INDEX IF NOT EXISTS backfill_runs_created_idx ON migration_ops.backfill_runs (created_at)
    """)


def downgrade() -> None:
    # The runs are the rollout's history: kept.
    pass
