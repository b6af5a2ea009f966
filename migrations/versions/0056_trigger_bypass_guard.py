"""No bypass of the owner triggers but the backfill's own, and a repair for what bypassed them all.

- The owner triggers skip a statement when `owner_migration.backfill` is on, an ordinary setting
  that any session may set. Now a statement-level trigger `<table>_owner_bypass_check` honours it
  only in a transaction that `migration_ops.stand_owner_triggers_aside()` recorded in
  `migration_ops.owner_trigger_stand_asides`: the backfill batch (v6), the reconciliation (v2), the
  repair and alias changes. Anywhere else it switches the setting off, so the triggers act, and
  counts the attempt in `migration_ops.owner_trigger_bypasses`, per day, table, application and
  role. It is enabled ALWAYS, so that it also counts writes in replica mode, which no other
  trigger of the migration sees; its WHEN keeps the common statement from calling it at all.
- `<table>_owner_errors_truncate`: a TRUNCATE takes the table's error rows and remembered writes
  with it.
- `migration_ops.repair_owner_drift(table, ids)`: brings rows that verify found drifting back to
  the rule; `python -m lib.cli verify --repair` calls it.
- Verify's drift gains the kinds `dangling_id` (an id whose user is gone, which replica mode lets
  happen under a validated foreign key) and `shadowed_id` (a row whose username is exactly another
  user's than its id: the rule's step 2 wins over a case variant), and each run keeps
  `changed_since`: the oldest transaction its scan might not have seen, from which its last pass
  re-reads every row changed.

Downgrade drops the guard, the truncate trigger and the repair, and restores the batch and the
reconciliation that set the setting themselves; the counted bypasses and verify's history stay.

Revision ID: 0056_trigger_bypass_guard
Revises: 0055_stored_alias_suggestions
"""

from alembic import op

from migrations.objects import object_sql

revision = "0056_trigger_bypass_guard"
down_revision = "0055_stored_alias_suggestions"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime registry is lib/registry.py.
TABLES = ("crm_accounts", "crm_opportunities")
DRIFT_KINDS = (
    "id_without_username",
    "dangling_id",
    "stale_id",
    "shadowed_id",
    "resolvable_without_id",
    "missing_error_row",
    "stray_error_row",
    "stale_error_row",
)
# Each function this revision replaces: (name, version before, version now).
REPLACED = (("backfill_owner_batch", 5, 6), ("reconcile_owner_writes", 1, 2))
BYPASS = (
    "WHEN (current_setting('owner_migration.backfill', true) = 'on' "
    "OR current_setting('session_replication_role') = 'replica')"
)


def upgrade() -> None:
    op.execute("""
        CREATE TABLE IF NOT EXISTS migration_ops.owner_trigger_stand_asides (
            xact xid8 PRIMARY KEY
        )
    """)
    op.execute("""
        CREATE TABLE IF NOT EXISTS migration_ops.owner_trigger_bypasses (
            day date NOT NULL,
            entity_type text NOT NULL,
            how text NOT NULL,
            application_name text NOT NULL,
            role_name text NOT NULL,
            statements bigint NOT NULL DEFAULT 1,
            first_seen_at timestamptz NOT NULL DEFAULT now(),
            last_seen_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (day, entity_type, how, application_name, role_name)
        )
    """)
    op.execute("ALTER TABLE migration_ops.verify_runs ADD COLUMN IF NOT EXISTS changed_since xid")
    kinds = ", ".join(f"'{kind}'" for kind in DRIFT_KINDS)
    op.execute(
        "-- squawk-ignore ban-drop-constraint\n"
        "ALTER TABLE migration_ops.verify_drift DROP CONSTRAINT IF EXISTS verify_drift_kind_check"
    )
    op.execute(f"""
        ALTER TABLE migration_ops.verify_drift ADD CONSTRAINT verify_drift_kind_check
        CHECK (kind IN ({kinds})) NOT VALID
    """)

    op.execute(object_sql("stand_owner_triggers_aside", 1))
    op.execute("REVOKE EXECUTE ON FUNCTION migration_ops.stand_owner_triggers_aside() FROM PUBLIC")
    op.execute(object_sql("guard_owner_trigger_bypass", 1))
    op.execute(object_sql("forget_truncated_owner_rows", 1))
    op.execute(object_sql("repair_owner_drift", 1, TABLES))
    for name, _, now in REPLACED:
        op.execute(object_sql(name, now, TABLES))
    for table in TABLES:
        op.execute(f"""
            CREATE TRIGGER {table}_owner_bypass_check
            BEFORE INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH STATEMENT {BYPASS}
            EXECUTE FUNCTION migration_ops.guard_owner_trigger_bypass()
        """)
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_owner_bypass_check")
        op.execute(f"""
            CREATE TRIGGER {table}_owner_errors_truncate
            AFTER TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.forget_truncated_owner_rows()
        """)
    # In a transaction of its own, as 0052 does: the check is new, the rows are not.
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE migration_ops.verify_drift VALIDATE CONSTRAINT verify_drift_kind_check")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_owner_errors_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_owner_bypass_check ON {table}")
    for name, before, _ in REPLACED:
        op.execute(object_sql(name, before, TABLES))
    op.execute("DROP FUNCTION IF EXISTS migration_ops.repair_owner_drift(text, bigint[])")
    op.execute("DROP FUNCTION IF EXISTS migration_ops.forget_truncated_owner_rows()")
    op.execute("DROP FUNCTION IF EXISTS migration_ops.guard_owner_trigger_bypass()")
    op.execute("DROP FUNCTION IF EXISTS migration_ops.stand_owner_triggers_aside()")
    op.execute("DROP TABLE IF EXISTS migration_ops.owner_trigger_stand_asides")
