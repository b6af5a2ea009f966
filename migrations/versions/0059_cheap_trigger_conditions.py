"""Trigger conditions that cost a single-row write nothing to prepare.

A trigger's WHEN is prepared again for every statement; one that calls a function (a setting, a
comparison of text) costs a single-row write more than calling the trigger function and returning
from it. Every such WHEN of the write path is gone but the sync trigger's, which keeps each row of
a backfill batch from calling it: each function tests the same condition itself, first, in one
expression for the common write.

- The log trigger keeps `WHEN (NEW.owner_user_id IS NULL)`, which calls nothing; its function (v5)
  skips the backfill's own statements.
- `<table>_coverage_update` and the write memory's `<table>_owner_writes_{insert,update}` have no
  WHEN; `count_coverage_row_change` (v2) and `remember_owner_write` (v2) return at once for a
  write that leaves the counts as they were, or that the sync trigger handled.
- `<table>_coverage_insert` is row-level too (`count_coverage_row_change`): a single-row INSERT no
  longer fills a transition table. `count_coverage_change` (v3) counts a DELETE or a TRUNCATE
  alone.
- `<table>_owner_bypass_check` names the owner columns of an UPDATE, so an UPDATE of other
  columns, which no owner trigger acts on, does not fire it; its function (v2) returns at once
  when nothing is bypassed.
- The sync trigger (v4) follows the same rule in fewer expressions.

Every trigger keeps its name and its enabled state, both ways. Downgrade restores 0058's.

Revision ID: 0059_cheap_trigger_conditions
Revises: 0058_lean_write_path
"""

from alembic import op

from migrations.objects import object_sql

revision = "0059_cheap_trigger_conditions"
down_revision = "0058_lean_write_path"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime registry is lib/registry.py.
TABLES = ("crm_accounts", "crm_opportunities")
OWNER_COLUMNS = "owner_username, owner_user_id"
OUTSIDE_BACKFILL = "current_setting('owner_migration.backfill', true) IS DISTINCT FROM 'on'"
IN_BACKFILL_BATCH = (
    "(current_setting('owner_migration.backfill', true) IS NOT DISTINCT FROM 'on' "
    "AND current_setting('owner_migration.counted_by_batch', true) IS NOT DISTINCT FROM 'on')"
)
# Each function this revision replaces: (name, version before, version now).
REPLACED = (
    ("sync_owner_reference_fields", 3, 4),
    ("log_unresolved_owner_reference", 4, 5),
    ("count_coverage_row_change", 1, 2),
    ("remember_owner_write", 1, 2),
    ("guard_owner_trigger_bypass", 1, 2),
    ("count_coverage_change", 2, 3),
)


def _marks(table: str) -> str:
    return f"'owner_migration.synced_{table}', 'owner_migration.logged_{table}'"


def _cheap_triggers(table: str) -> dict[str, str]:
    """Each trigger of `table` that this revision replaces, by name: its definition after the name."""
    return {
        f"{table}_owner_log_guard": f"""
            AFTER INSERT OR UPDATE OF {OWNER_COLUMNS} ON {table}
            FOR EACH ROW WHEN (NEW.owner_user_id IS NULL)
            EXECUTE FUNCTION log_unresolved_owner_reference('owner_migration.logged_{table}')""",
        f"{table}_coverage_insert": f"""
            AFTER INSERT ON {table}
            FOR EACH ROW EXECUTE FUNCTION migration_ops.count_coverage_row_change()""",
        f"{table}_coverage_update": f"""
            AFTER UPDATE OF {OWNER_COLUMNS} ON {table}
            FOR EACH ROW EXECUTE FUNCTION migration_ops.count_coverage_row_change()""",
        f"{table}_owner_writes_insert": f"""
            AFTER INSERT ON {table}
            FOR EACH ROW EXECUTE FUNCTION migration_ops.remember_owner_write({_marks(table)})""",
        f"{table}_owner_writes_update": f"""
            AFTER UPDATE OF {OWNER_COLUMNS} ON {table}
            FOR EACH ROW EXECUTE FUNCTION migration_ops.remember_owner_write({_marks(table)})""",
        f"{table}_owner_bypass_check": f"""
            BEFORE INSERT OR DELETE OR UPDATE OF {OWNER_COLUMNS} ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.guard_owner_trigger_bypass()""",
    }


def _previous_triggers(table: str) -> dict[str, str]:
    """The same triggers as 0058 (and 0043, 0056 for the two it kept) left them."""
    counted_owner = "migration_ops.has_legacy_owner({row}.owner_username)"
    synced = f"current_setting('owner_migration.synced_{table}', true)"
    not_synced = f"{synced} IS DISTINCT FROM statement_timestamp()::text"
    return {
        f"{table}_owner_log_guard": f"""
            AFTER INSERT OR UPDATE OF {OWNER_COLUMNS} ON {table}
            FOR EACH ROW WHEN (NEW.owner_user_id IS NULL AND {OUTSIDE_BACKFILL})
            EXECUTE FUNCTION log_unresolved_owner_reference('owner_migration.logged_{table}')""",
        f"{table}_coverage_insert": f"""
            AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.count_coverage_change()""",
        f"{table}_coverage_update": f"""
            AFTER UPDATE OF {OWNER_COLUMNS} ON {table}
            FOR EACH ROW WHEN (NOT {IN_BACKFILL_BATCH} AND (
              {counted_owner.format(row="OLD")} IS DISTINCT FROM {counted_owner.format(row="NEW")}
              OR (OLD.owner_user_id IS NULL) IS DISTINCT FROM (NEW.owner_user_id IS NULL)))
            EXECUTE FUNCTION migration_ops.count_coverage_row_change()""",
        f"{table}_owner_writes_insert": f"""
            AFTER INSERT ON {table}
            FOR EACH ROW WHEN ({OUTSIDE_BACKFILL}
              AND (NEW.owner_username IS NOT NULL OR NEW.owner_user_id IS NOT NULL)
              AND ({not_synced} OR NEW.owner_user_id IS NULL))
            EXECUTE FUNCTION migration_ops.remember_owner_write({_marks(table)})""",
        f"{table}_owner_writes_update": f"""
            AFTER UPDATE OF {OWNER_COLUMNS} ON {table}
            FOR EACH ROW WHEN ({OUTSIDE_BACKFILL}
              AND (OLD.owner_username IS DISTINCT FROM NEW.owner_username
                   OR OLD.owner_user_id IS DISTINCT FROM NEW.owner_user_id)
              AND ({not_synced} OR NEW.owner_user_id IS NULL))
            EXECUTE FUNCTION migration_ops.remember_owner_write({_marks(table)})""",
        f"{table}_owner_bypass_check": f"""
            BEFORE INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH STATEMENT WHEN (current_setting('owner_migration.backfill', true) = 'on'
              OR current_setting('session_replication_role') = 'replica')
            EXECUTE FUNCTION migration_ops.guard_owner_trigger_bypass()""",
    }


def _replace(table: str, definitions: dict[str, str]) -> None:
    """Drops and creates each trigger of `definitions`, in one statement, keeping the enabled state
    it had (an incident may have disabled one; the bypass check is enabled ALWAYS)."""
    replaced = "\n".join(
        f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
        f"CREATE TRIGGER {name} {definition};\n"
        f"IF v_state ->> '{name}' = 'D' THEN ALTER TABLE {table} DISABLE TRIGGER {name};\n"
        f"ELSIF v_state ->> '{name}' = 'A' THEN ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name};\n"
        f"ELSIF v_state ->> '{name}' = 'R' THEN ALTER TABLE {table} ENABLE REPLICA TRIGGER {name};\n"
        "END IF;"
        for name, definition in definitions.items()
    )
    op.execute(f"""
        DO $$
        DECLARE
          v_state jsonb := (
            SELECT coalesce(jsonb_object_agg(tgname, tgenabled::text), '{{}}')
            FROM pg_trigger WHERE tgrelid = '{table}'::regclass AND NOT tgisinternal);
        BEGIN
        {replaced}
        END
        $$
    """)


def upgrade() -> None:
    for name, _, now in REPLACED:
        op.execute(object_sql(name, now, TABLES))
    for table in TABLES:
        _replace(table, _cheap_triggers(table))


def downgrade() -> None:
    for table in TABLES:
        _replace(table, _previous_triggers(table))
    for name, before, _ in REPLACED:
        op.execute(object_sql(name, before, TABLES))
