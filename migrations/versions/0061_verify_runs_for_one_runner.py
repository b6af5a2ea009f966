"""Verify's runs record what the backfill's record, so one runner (lib/jobs/) writes both.

`migration_ops.verify_runs` gains:
- `last_held_by`: the signal that held the run last, once its hold is over;
- `error_kind`, `error_at`: what kind of error failed the run, and when, beside its message;
- `retries`: the batches retried after a lock or statement timeout.

Downgrade leaves the columns: the older code ignores them, and they are the runs' history.

Revision ID: 0061_verify_runs_for_one_runner
Revises: 0060_verify_steering
"""

from alembic import op

revision = "0061_verify_runs_for_one_runner"
down_revision = "0060_verify_steering"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE migration_ops.verify_runs
            ADD COLUMN IF NOT EXISTS last_held_by text,
            ADD COLUMN IF NOT EXISTS error_kind text,
            ADD COLUMN IF NOT EXISTS error_at timestamptz,
            ADD COLUMN IF NOT EXISTS retries bigint NOT NULL DEFAULT 0
    """)


def downgrade() -> None:
    pass
