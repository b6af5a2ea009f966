"""A backfill production can live with (docs/design.md, Throttling): a run may be paused by an
operator and held by a throttle signal, and its batch size tunes itself.

`migration_ops.backfill_runs` gains:
- the status `paused`: no batch starts until an operator resumes it; the runner keeps its place
  and its lock;
- `held_by`, `held_detail`, `held_since`: why the run waits now (a throttle signal of
  lib/registry.py, or `paused`), what was measured against which limit, and since when; NULL
  while it works;
- `last_held_by`, `held_seconds`: the last reason it waited, and how long it has waited in all,
  so that its rate and ETA count working time only;
- `batch_size_now`: the batch size the tuning has reached (`batch_size` stays the starting one);
- `throttle`: the run's throttle settings, as it was started with them;
- `paused_by`: who paused it last.

Downgrade keeps the columns, as 0041 keeps the table; only a paused run is moved back to running
so that the older check constraint holds again.

Revision ID: 0052_backfill_throttle
Revises: 0051_finish_line
"""

from alembic import op

revision = "0052_backfill_throttle"
down_revision = "0051_finish_line"
branch_labels = None
depends_on = None

STATUSES_BEFORE = ("queued", "running", "cancelling", "succeeded", "failed", "cancelled", "interrupted")
STATUSES = (*STATUSES_BEFORE, "paused")


def upgrade() -> None:
    op.execute("""
        ALTER TABLE migration_ops.backfill_runs
            ADD COLUMN IF NOT EXISTS held_by text,
            ADD COLUMN IF NOT EXISTS held_detail text,
            ADD COLUMN IF NOT EXISTS held_since timestamptz,
            ADD COLUMN IF NOT EXISTS last_held_by text,
            ADD COLUMN IF NOT EXISTS held_seconds double precision NOT NULL DEFAULT 0,
            ADD COLUMN IF NOT EXISTS batch_size_now bigint,
            ADD COLUMN IF NOT EXISTS throttle jsonb,
            ADD COLUMN IF NOT EXISTS paused_by text
    """)
    _replace_status_check(STATUSES)


def downgrade() -> None:
    op.execute("UPDATE migration_ops.backfill_runs SET status = 'running' WHERE status = 'paused'")
    _replace_status_check(STATUSES_BEFORE)


def _replace_status_check(statuses: tuple[str, ...]) -> None:
    """The status check, replaced by one over `statuses` in the revision's transaction, so no
    writer ever sees the table without one; validated after it commits, in a transaction of its
    own, as 0039 validates the foreign keys."""
    listed = ", ".join(f"'{status}'" for status in statuses)
    op.execute(
        "-- squawk-ignore ban-drop-constraint\n"
        "ALTER TABLE migration_ops.backfill_runs DROP CONSTRAINT IF EXISTS backfill_runs_status_check"
    )
    op.execute(f"""
        ALTER TABLE migration_ops.backfill_runs
            ADD CONSTRAINT backfill_runs_status_check CHECK (status IN ({listed})) NOT VALID
    """)
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE migration_ops.backfill_runs VALIDATE CONSTRAINT backfill_runs_status_check")
