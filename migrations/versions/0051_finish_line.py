"""The finish line (docs/design.md, The finish line): who still writes through the legacy path, and
the evidence the readiness gates read.

- `migration_ops.owner_writers`: per table, UTC day, `application_name` and database role, the
  rows written through the legacy path (a username without an id) and through the new one (an
  id), with when each was last seen. The sync trigger (v2) counts each row in a transaction-local
  setting; `remember_owner_writes` (v2) writes one row per statement that wrote an owner, and
  counts the writes itself while the sync trigger is off. Rows are only ever inserted, so writers
  never wait for each other; `migration_ops.fold_owner_writers()` folds them to one row per
  table, day, application and role (the console does it each minute, with the coverage counts).
  It has no index: folded, it is a few rows a day, and each write statement costs one heap
  insert only.
- `migration_ops.owner_writers_watch`: since when the writers are watched, so that "no legacy
  write for 7 days" is not claimed of days nobody watched.
- `coverage_snapshots.owner_triggers_enabled`: whether the table's sync and log triggers both
  fired when the snapshot was taken (NULL before this revision).

Downgrade restores the previous functions; the tables and the column stay, with their history.

Revision ID: 0051_finish_line
Revises: 0050_nothing_lost
"""

from alembic import op

from migrations.objects import object_sql

revision = "0051_finish_line"
down_revision = "0050_nothing_lost"
branch_labels = None
depends_on = None

# Each function this revision replaces: (name, version before, version now).
REPLACED = (("sync_owner_reference_fields", 1, 2), ("remember_owner_writes", 1, 2))


def upgrade() -> None:
    op.execute("""
        CREATE TABLE IF NOT EXISTS migration_ops.owner_writers (
            entity_type text NOT NULL,
            day date NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')::date,
            application_name text NOT NULL,
            role text NOT NULL,
            legacy_writes bigint NOT NULL,
            new_writes bigint NOT NULL,
            last_legacy_at timestamptz,
            last_new_at timestamptz
        )
    """)
    op.execute("""
        CREATE TABLE IF NOT EXISTS migration_ops.owner_writers_watch (
            started_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    op.execute("""
        INSERT INTO migration_ops.owner_writers_watch (started_at)
        SELECT now() WHERE NOT EXISTS (SELECT 1 FROM migration_ops.owner_writers_watch)
    """)
    op.execute("""
        CREATE OR REPLACE FUNCTION migration_ops.fold_owner_writers()
        RETURNS void
        LANGUAGE sql
        AS $$
          -- Rows a concurrent writer commits meanwhile are not in this snapshot: they stay, unfolded.
          WITH folded AS (
            DELETE FROM migration_ops.owner_writers RETURNING *
          )
          INSERT INTO migration_ops.owner_writers
            (entity_type, day, application_name, role, legacy_writes, new_writes, last_legacy_at, last_new_at)
          SELECT entity_type, day, application_name, role,
                 sum(legacy_writes), sum(new_writes), max(last_legacy_at), max(last_new_at)
          FROM folded
          GROUP BY entity_type, day, application_name, role
        $$
    """)
    op.execute("""
        ALTER TABLE migration_ops.coverage_snapshots
        ADD COLUMN IF NOT EXISTS owner_triggers_enabled boolean
    """)
    op.execute(object_sql("count_owner_write", 1))
    for name, _, now in REPLACED:
        op.execute(object_sql(name, now))


def downgrade() -> None:
    for name, before, _ in REPLACED:
        op.execute(object_sql(name, before))
    op.execute("DROP FUNCTION IF EXISTS migration_ops.count_owner_write(text)")
    op.execute("DROP FUNCTION IF EXISTS migration_ops.fold_owner_writers()")
