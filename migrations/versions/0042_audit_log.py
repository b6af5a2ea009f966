"""The console's audit log: every attempted action, refused ones included. Append-only: the
database refuses UPDATE, DELETE and TRUNCATE on it.

Downgrade keeps the log and its guard: an audit trail outlives the code that wrote it.

Revision ID: 0042_audit_log
Revises: 0041_backfill_runs
"""

from alembic import op

revision = "0042_audit_log"
down_revision = "0041_backfill_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE IF NOT EXISTS migration_ops.audit_log (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL,
            actor_source text NOT NULL,
            role text NOT NULL,
            action text NOT NULL,
            parameters jsonb NOT NULL DEFAULT '{}',
            outcome text NOT NULL,
            detail text,
            CONSTRAINT audit_log_outcome_check
                CHECK (outcome IN ('refused', 'started', 'succeeded', 'failed', 'cancelled')),
            CONSTRAINT audit_log_role_check CHECK (role IN ('operator', 'viewer'))
        )
    """)
    op.execute("""
        CREATE OR REPLACE FUNCTION migration_ops.refuse_audit_change()
        RETURNS trigger
        LANGUAGE plpgsql
        AS $$
        BEGIN
          RAISE EXCEPTION 'migration_ops.audit_log is append-only: % is refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
        END
        $$
    """)
    op.execute("""
        CREATE OR REPLACE TRIGGER audit_log_append_only
        BEFORE UPDATE OR DELETE ON migration_ops.audit_log
        FOR EACH ROW EXECUTE FUNCTION migration_ops.refuse_audit_change()
    """)
    op.execute("""
        CREATE OR REPLACE TRIGGER audit_log_no_truncate
        BEFORE TRUNCATE ON migration_ops.audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.refuse_audit_change()
    """)


def downgrade() -> None:
    # The audit trail and its guard stay.
    pass
