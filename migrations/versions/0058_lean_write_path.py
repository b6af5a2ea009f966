"""The write path at the cost of one lookup: a write that needs nothing calls no trigger function.

- The sync trigger (`sync_owner_reference_fields` v3) looks a username up exactly first, and runs
  the whole rule only for a name that no user has exactly. It drops the error row of a row it
  resolves, and writes the writers' record at most once per session, table, path and minute
  (`migration_ops.note_owner_writer`): `owner_writers` now counts such minutes, not rows.
- The log trigger is called only for a row left without an id (`WHEN (NEW.owner_user_id IS
  NULL)`, function v4). Deletes lose their error rows through `<table>_owner_errors_delete`.
- The coverage counts of an UPDATE are kept by the row-level `<table>_coverage_update`, called
  only for a row whose owner columns change the counts. A backfill batch (`backfill_owner_batch`
  v7), which changes thousands, counts its own in one row instead.
- The write memory is the row-level `<table>_owner_writes_{insert,update}`
  (`migration_ops.remember_owner_write`), called only for a row that its sync trigger did not
  handle in this statement, or that it left without an id: the sync and log triggers mark their
  statements in transaction-local settings, once each, which the memory's WHEN reads. A delete
  needs no memory now: its error rows are gone with it. `count_owner_write` and
  `remember_owner_writes`, which nothing calls now, are dropped.

The four owner triggers keep their names and their enabled state; so does every trigger this
revision replaces. Downgrade restores 0057's write path, in the same way.

Revision ID: 0058_lean_write_path
Revises: 0057_audit_via
"""

from alembic import op

from migrations.objects import object_sql

revision = "0058_lean_write_path"
down_revision = "0057_audit_via"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime registry is lib/registry.py.
TABLES = ("crm_accounts", "crm_opportunities")
OWNER_COLUMNS = "owner_username, owner_user_id"
OUTSIDE_BACKFILL = "current_setting('owner_migration.backfill', true) IS DISTINCT FROM 'on'"
# A backfill batch counts the ids it sets itself. Only honoured with the triggers standing aside,
# which the bypass guard allows in the backfill's own transactions alone.
IN_BACKFILL_BATCH = (
    "(current_setting('owner_migration.backfill', true) IS NOT DISTINCT FROM 'on' "
    "AND current_setting('owner_migration.counted_by_batch', true) IS NOT DISTINCT FROM 'on')"
)
# Each function this revision replaces: (name, version before, version now).
REPLACED = (
    ("sync_owner_reference_fields", 2, 3),
    ("log_unresolved_owner_reference", 3, 4),
    ("backfill_owner_batch", 6, 7),
)
NEW_FUNCTIONS = (
    ("owner_writer_setting", "migration_ops.owner_writer_setting(text, text)"),
    ("owner_writer_key", "migration_ops.owner_writer_key()"),
    ("note_owner_writer", "migration_ops.note_owner_writer(text, text)"),
    ("remember_owner_write", "migration_ops.remember_owner_write()"),
    ("count_coverage_row_change", "migration_ops.count_coverage_row_change()"),
    ("forget_deleted_owner_rows", "migration_ops.forget_deleted_owner_rows()"),
)


def _synced(table: str) -> str:
    return f"owner_migration.synced_{table}"


def _logged(table: str) -> str:
    return f"owner_migration.logged_{table}"


def _not_marked(setting: str) -> str:
    return f"current_setting('{setting}', true) IS DISTINCT FROM statement_timestamp()::text"


def _lean_triggers(table: str) -> dict[str, str]:
    """Each trigger of the lean write path on `table`, by name: its definition after the name."""
    counted_owner = "migration_ops.has_legacy_owner({row}.owner_username)"
    marks = f"'{_synced(table)}', '{_logged(table)}'"
    return {
        f"{table}_owner_sync_guard": f"""
            BEFORE INSERT OR UPDATE OF {OWNER_COLUMNS} ON {table}
            FOR EACH ROW WHEN ({OUTSIDE_BACKFILL})
            EXECUTE FUNCTION sync_owner_reference_fields('{_synced(table)}')""",
        f"{table}_owner_log_guard": f"""
            AFTER INSERT OR UPDATE OF {OWNER_COLUMNS} ON {table}
            FOR EACH ROW WHEN (NEW.owner_user_id IS NULL AND {OUTSIDE_BACKFILL})
            EXECUTE FUNCTION log_unresolved_owner_reference('{_logged(table)}')""",
        f"{table}_owner_errors_delete": f"""
            AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.forget_deleted_owner_rows()""",
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
              AND ({_not_marked(_synced(table))} OR NEW.owner_user_id IS NULL))
            EXECUTE FUNCTION migration_ops.remember_owner_write({marks})""",
        f"{table}_owner_writes_update": f"""
            AFTER UPDATE OF {OWNER_COLUMNS} ON {table}
            FOR EACH ROW WHEN ({OUTSIDE_BACKFILL}
              AND (OLD.owner_username IS DISTINCT FROM NEW.owner_username
                   OR OLD.owner_user_id IS DISTINCT FROM NEW.owner_user_id)
              AND ({_not_marked(_synced(table))} OR NEW.owner_user_id IS NULL))
            EXECUTE FUNCTION migration_ops.remember_owner_write({marks})""",
    }


def _previous_triggers(table: str) -> dict[str, str]:
    """0057's triggers that this revision replaces or drops, as 0045, 0043 and 0050 made them."""
    memory = f"""
            FOR EACH STATEMENT WHEN ({OUTSIDE_BACKFILL})
            EXECUTE FUNCTION migration_ops.remember_owner_writes(
              '{table}_owner_sync_guard', '{table}_owner_log_guard')"""
    return {
        f"{table}_owner_sync_guard": f"""
            BEFORE INSERT OR UPDATE OF {OWNER_COLUMNS} ON {table}
            FOR EACH ROW WHEN ({OUTSIDE_BACKFILL}) EXECUTE FUNCTION sync_owner_reference_fields()""",
        f"{table}_owner_log_guard": f"""
            AFTER INSERT OR UPDATE OF {OWNER_COLUMNS} OR DELETE ON {table}
            FOR EACH ROW WHEN ({OUTSIDE_BACKFILL}) EXECUTE FUNCTION log_unresolved_owner_reference()""",
        f"{table}_coverage_update": f"""
            AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.count_coverage_change()""",
        f"{table}_owner_writes_insert": f"AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows{memory}",
        f"{table}_owner_writes_update": (
            f"AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows{memory}"
        ),
        f"{table}_owner_writes_delete": f"AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows{memory}",
    }


def _replace(table: str, before: dict[str, str], after: dict[str, str]) -> None:
    """Drops the triggers of `before` and creates those of `after`, in one statement; a trigger
    in both keeps the enabled state it had (an incident may have disabled one)."""
    drops = "\n".join(f"DROP TRIGGER IF EXISTS {name} ON {table};" for name in before)
    creates = "\n".join(
        f"CREATE TRIGGER {name} {definition};\n"
        f"IF v_state ->> '{name}' = 'D' THEN ALTER TABLE {table} DISABLE TRIGGER {name};\n"
        f"ELSIF v_state ->> '{name}' = 'A' THEN ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name};\n"
        f"ELSIF v_state ->> '{name}' = 'R' THEN ALTER TABLE {table} ENABLE REPLICA TRIGGER {name};\n"
        "END IF;"
        for name, definition in after.items()
    )
    op.execute(f"""
        DO $$
        DECLARE
          v_state jsonb := (
            SELECT coalesce(jsonb_object_agg(tgname, tgenabled::text), '{{}}')
            FROM pg_trigger WHERE tgrelid = '{table}'::regclass AND NOT tgisinternal);
        BEGIN
        {drops}
        {creates}
        END
        $$
    """)


def upgrade() -> None:
    for name, _ in NEW_FUNCTIONS:
        op.execute(object_sql(name, 1))
    for name, _, now in REPLACED:
        op.execute(object_sql(name, now, TABLES))
    for table in TABLES:
        _replace(table, _previous_triggers(table), _lean_triggers(table))
    # No trigger calls them any more (the writers are recorded by note_owner_writer); the
    # downgrade creates them again.
    for dropped in ("remember_owner_writes()", "count_owner_write(text)"):
        op.execute(f"-- squawk-ignore ban-drop-function\nDROP FUNCTION IF EXISTS migration_ops.{dropped}")


def downgrade() -> None:
    op.execute(object_sql("count_owner_write", 1))
    op.execute(object_sql("remember_owner_writes", 2))
    for table in TABLES:
        _replace(table, _lean_triggers(table), _previous_triggers(table))
    for name, before, _ in REPLACED:
        op.execute(object_sql(name, before, TABLES))
    for _, signature in reversed(NEW_FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
