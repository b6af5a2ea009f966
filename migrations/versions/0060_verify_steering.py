"""Verify is steered like the backfill: an operator pauses, resumes or cancels it, and the
throttle signals hold its next batch.

`migration_ops.verify_runs` gains:
- the statuses `paused` (no batch starts until an operator resumes it; the run keeps its place
  and its lock), `cancelling` (it stops between two batches) and `cancelled`;
- `held_by`, `held_detail`, `held_since`, `held_seconds`: why the run waits now, and how long it
  has waited in all;
- `paused_by`, `cancel_requested_by`: who asked.

Downgrade makes a paused or cancelling run `interrupted`, which the older code resumes, and a
cancelled one `failed`, saying it was cancelled; then the older check holds again. The columns
stay, as the runs' history does.

Revision ID: 0060_verify_steering
Revises: 0059_cheap_trigger_conditions
"""

from alembic import op

revision = "0060_verify_steering"
down_revision = "0059_cheap_trigger_conditions"
branch_labels = None
depends_on = None

STATUSES_BEFORE = ("running", "passed", "drift", "failed", "interrupted")
STATUSES = (*STATUSES_BEFORE, "paused", "cancelling", "cancelled")


def upgrade() -> None:
    op.execute("""
        ALTER TABLE migration_ops.verify_runs
            ADD COLUMN IF NOT EXISTS held_by text,
            ADD COLUMN IF NOT EXISTS held_detail text,
            ADD COLUMN IF NOT EXISTS held_since timestamptz,
            ADD COLUMN IF NOT EXISTS held_seconds double precision NOT NULL DEFAULT 0,
            ADD COLUMN IF NOT EXISTS paused_by text,
            ADD COLUMN IF NOT EXISTS cancel_requested_by text
    """)
    _replace_status_check(STATUSES)


def downgrade() -> None:
    op.execute("""
        UPDATE migration_ops.verify_runs
        SET status = 'interrupted', finished_at = coalesce(finished_at, now())
        WHERE status IN ('paused', 'cancelling')
    """)
    op.execute("""
        UPDATE migration_ops.verify_runs
        SET status = 'failed', error_message = coalesce(error_message, 'cancelled by an operator')
        WHERE status = 'cancelled'
    """)
    _replace_status_check(STATUSES_BEFORE)


def _replace_status_check(statuses: tuple[str, ...]) -> None:
    """The status check, replaced by one over `statuses` in the revision's transaction, so no
    writer ever sees the table without one; validated after it commits, in a transaction of its
    own, as 0052 does for the backfill's runs."""
    listed = ", ".join(f"'{status}'" for status in statuses)
    op.execute(
        "-- squawk-ignore ban-drop-constraint\n"
        "ALTER TABLE migration_ops.verify_runs DROP CONSTRAINT IF EXISTS verify_runs_status_check"
    )
    op.execute(f"""
        ALTER TABLE migration_ops.verify_runs
            ADD CONSTRAINT verify_runs_status_check CHECK (status IN ({listed})) NOT VALID
    """)
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE migration_ops.verify_runs VALIDATE CONSTRAINT verify_runs_status_check")
