"""Nothing lost (docs/design.md, Nothing lost): writes while the owner triggers are off are remembered and
reconciled, renames are remembered, verify has its tables, and alias changes and batches exclude
each other.

- `migration_ops.owner_writes_while_off`: one row per row written to a migrated table while its
  sync or log trigger does not fire, with what the write changed. Statement-level triggers
  `<table>_owner_writes_{insert,update,delete}` (function `remember_owner_writes`) write it; they
  are none of the four owner triggers, so the rollback leaves them on, by the console or by hand.
- `migration_ops.reconcile_owner_writes(table, limit)` brings those rows to what the write-path
  table makes of their last write, and forgets them. The batched runner calls it before its
  scan; `run_owner_backfill()` (v2) too.
- `migration_ops.former_usernames`: each user's previous usernames, from a trigger on
  `app_users`, so that verify tells a renamed user's rows from stale ids. Renames before this
  revision are not known.
- `migration_ops.verify_runs` and `verify_drift`: each verify run, its progress (so a killed one
  resumes), and the drifting rows it found, by kind.
- `migration_ops.lock_alias_rule(exclusive)`: the lock by which alias changes and batches that
  resolve by the rule (`backfill_owner_batch` v4, the reconciliation) wait for each other.
- `backfill_runs.rows_reconciled`: a run's reconciled rows.

Downgrade drops the triggers and functions and restores the previous batch and backfill; the
tables stay, with the writes still to reconcile, the former names and verify's history.

Revision ID: 0050_nothing_lost
Revises: 0049_owner_rule_surroundings
"""

from alembic import op

from migrations.objects import object_sql

revision = "0050_nothing_lost"
down_revision = "0049_owner_rule_surroundings"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime registry is lib/registry.py.
TABLES = ("crm_accounts", "crm_opportunities")
DRIFT_KINDS = (
    "id_without_username",
    "stale_id",
    "resolvable_without_id",
    "missing_error_row",
    "stray_error_row",
    "stale_error_row",
)
VERIFY_STATUSES = ("running", "passed", "drift", "failed", "interrupted")
WRITE_EVENTS = (
    ("insert", "NEW TABLE AS new_rows"),
    ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("delete", "OLD TABLE AS old_rows"),
)
# Each function this revision replaces: (name, version before, version now).
REPLACED = (("backfill_owner_batch", 3, 4), ("run_owner_backfill", 1, 2))


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    op.execute("""
        CREATE TABLE IF NOT EXISTS migration_ops.owner_writes_while_off (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            entity_type text NOT NULL,
            entity_id bigint NOT NULL,
            -- username: a legacy write, re-resolved; user_id: an id write, the id wins; deleted.
            kind text NOT NULL,
            owner_username text,
            owner_user_id bigint,
            owner_username_before text,
            owner_user_id_before bigint,
            written_at timestamptz NOT NULL DEFAULT now(),
            written_by text NOT NULL DEFAULT current_user,
            CONSTRAINT owner_writes_while_off_kind_check
                CHECK (kind IN ('username', 'user_id', 'deleted'))
        )
    """)
    op.execute("""
        CREATE INDEX IF NOT EXISTS owner_writes_while_off_entity_idx
        ON migration_ops.owner_writes_while_off (entity_type, entity_id, seq DESC)
    """)
    op.execute("""
        CREATE TABLE IF NOT EXISTS migration_ops.former_usernames (
            user_id bigint NOT NULL,
            username text NOT NULL,
            renamed_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    op.execute("""
        CREATE INDEX IF NOT EXISTS former_usernames_user_idx
        ON migration_ops.former_usernames (user_id)
    """)
    op.execute(f"""
        CREATE TABLE IF NOT EXISTS migration_ops.verify_runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            status text NOT NULL DEFAULT 'running',
            started_by text NOT NULL,
            source text NOT NULL,
            batch_size bigint NOT NULL,
            pause_ms bigint NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            heartbeat_at timestamptz NOT NULL DEFAULT now(),
            finished_at timestamptz,
            resumed bigint NOT NULL DEFAULT 0,
            current_table text,
            last_id bigint,
            tables_done text[] NOT NULL DEFAULT '{{}}',
            rows_total bigint,
            rows_scanned bigint NOT NULL DEFAULT 0,
            drift_rows bigint NOT NULL DEFAULT 0,
            error_message text,
            CONSTRAINT verify_runs_status_check CHECK (status IN ({_quoted(VERIFY_STATUSES)})),
            CONSTRAINT verify_runs_source_check CHECK (source IN ('console', 'cli'))
        )
    """)
    op.execute(f"""
        CREATE TABLE IF NOT EXISTS migration_ops.verify_drift (
            verify_run_id bigint NOT NULL REFERENCES migration_ops.verify_runs (id),
            entity_type text NOT NULL,
            entity_id bigint NOT NULL,
            kind text NOT NULL,
            owner_username text,
            owner_user_id bigint,
            error_username text,
            error_reason text,
            found_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT verify_drift_kind_check CHECK (kind IN ({_quoted(DRIFT_KINDS)}))
        )
    """)
    op.execute("""
        CREATE INDEX IF NOT EXISTS verify_drift_run_idx
        ON migration_ops.verify_drift (verify_run_id, entity_type, entity_id)
    """)
    op.execute("""
        ALTER TABLE migration_ops.backfill_runs
        ADD COLUMN IF NOT EXISTS rows_reconciled bigint NOT NULL DEFAULT 0
    """)

    op.execute(object_sql("lock_alias_rule", 1))
    op.execute(object_sql("remember_owner_writes", 1))
    op.execute(object_sql("remember_former_username", 1))
    op.execute(object_sql("reconcile_owner_writes", 1, TABLES))
    for name, _, now in REPLACED:
        op.execute(object_sql(name, now, TABLES))
    for table in TABLES:
        for event, transition in WRITE_EVENTS:
            op.execute(f"""
                CREATE TRIGGER {table}_owner_writes_{event}
                AFTER {event.upper()} ON {table}
                REFERENCING {transition}
                FOR EACH STATEMENT
                -- As for the sync and log triggers (0045): a backfill batch does not call it at all.
                WHEN (current_setting('owner_migration.backfill', true) IS DISTINCT FROM 'on')
                EXECUTE FUNCTION migration_ops.remember_owner_writes(
                    '{table}_owner_sync_guard', '{table}_owner_log_guard')
            """)
    op.execute("""
        CREATE TRIGGER app_users_former_username
        AFTER UPDATE OF username ON app_users
        FOR EACH ROW WHEN (OLD.username IS DISTINCT FROM NEW.username)
        EXECUTE FUNCTION migration_ops.remember_former_username()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS app_users_former_username ON app_users")
    for table in TABLES:
        for event, _ in WRITE_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_owner_writes_{event} ON {table}")
    for name, before, _ in REPLACED:
        op.execute(object_sql(name, before, TABLES))
    op.execute("DROP FUNCTION IF EXISTS migration_ops.reconcile_owner_writes(text, integer)")
    op.execute("DROP FUNCTION IF EXISTS migration_ops.remember_former_username()")
    op.execute("DROP FUNCTION IF EXISTS migration_ops.remember_owner_writes()")
    op.execute("DROP FUNCTION IF EXISTS migration_ops.lock_alias_rule(boolean)")
