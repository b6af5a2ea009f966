"""Every list that lib/registry.py (and the status and audit modules) hold once is held equal to
its copies: each revision's frozen table list, the allow-lists inside database functions, the
check constraints, the triggers on the migrated tables, and the page files."""

import re
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from lib.db.schema import BASELINE_REVISION, CONTRACT_REVISION, alembic_config
from lib.db.settings import PROJECT_ROOT
from lib.guard.audit import OUTCOMES
from lib.jobs.job import BACKFILL, VERIFY
from lib.jobs.status import statuses
from lib.registry import (
    COVERAGE_TRIGGERS,
    DRIFT_KINDS,
    FLEET_PAGE,
    GUARD_TRIGGERS,
    MIGRATED_TABLES,
    OWNER_TRIGGERS,
    PAGES,
    REASONS,
    WRITE_MEMORY_TRIGGERS,
)

SQL_TEXT_ARRAY = re.compile(r"ARRAY\[('[^']*'(?:,\s*'[^']*')*)\]")


def revisions():
    """Every revision, the contract migration included."""
    return list(ScriptDirectory.from_config(alembic_config(contract=True)).walk_revisions())


def quoted_list(sql_array_body: str) -> tuple[str, ...]:
    return tuple(re.findall(r"'([^']*)'", sql_array_body))


def check_values(connection, constraint: str) -> tuple[str, ...]:
    definition = connection.execute(
        text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name"),
        {"name": constraint},
    ).scalar_one()
    return quoted_list(definition)


def test_every_revision_that_works_per_table_freezes_the_registrys_tables():
    per_table = []
    for script in revisions():
        source = Path(script.path).read_text(encoding="utf-8")
        if script.revision == BASELINE_REVISION or not any(table in source for table in MIGRATED_TABLES):
            continue
        per_table.append(script.revision)
        assert script.module.TABLES == MIGRATED_TABLES, script.revision
    assert len(per_table) >= 9  # 0038, 0043 to 0047, 0049, 0050, the contract


def test_the_contract_migration_drops_every_trigger_on_the_migrated_tables():
    [contract] = [script for script in revisions() if script.revision == CONTRACT_REVISION]
    assert set(contract.module.TRIGGERS) == set(
        OWNER_TRIGGERS + COVERAGE_TRIGGERS + WRITE_MEMORY_TRIGGERS + GUARD_TRIGGERS
    )


def test_every_table_allow_list_in_a_database_function_is_the_registrys(db):
    with db.connect() as connection:
        definitions = connection.execute(
            text("""
                SELECT p.proname, pg_get_functiondef(p.oid)
                FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                WHERE n.nspname IN ('public', 'migration_ops') AND p.prokind = 'f'
            """)
        ).all()
    allow_lists = {
        name: quoted_list(array)
        for name, definition in definitions
        for array in SQL_TEXT_ARRAY.findall(definition)
        if any(table in array for table in MIGRATED_TABLES)
    }
    assert set(allow_lists) == {
        "backfill_owner_batch",
        "run_owner_backfill",
        "recount_coverage",
        "reconcile_owner_writes",
        "repair_owner_drift",
    }
    assert all(tables == MIGRATED_TABLES for tables in allow_lists.values()), allow_lists


def test_the_check_constraints_allow_exactly_the_registrys_values(db):
    with db.connect() as connection:
        assert check_values(connection, "owner_backfill_errors_reason_check") == REASONS
        assert set(check_values(connection, "backfill_runs_status_check")) == set(statuses(BACKFILL))
        assert set(check_values(connection, "audit_log_outcome_check")) == set(OUTCOMES)
        assert check_values(connection, "verify_drift_kind_check") == tuple(DRIFT_KINDS)
        assert set(check_values(connection, "verify_runs_status_check")) == set(statuses(VERIFY))


def test_the_triggers_on_the_migrated_tables_are_the_registrys(db):
    with db.connect() as connection:
        found = connection.execute(
            text("""
                SELECT tgname FROM pg_trigger
                WHERE NOT tgisinternal AND tgrelid::regclass::text = ANY (CAST(:tables AS text[]))
            """),
            {"tables": list(MIGRATED_TABLES)},
        ).scalars()
        assert set(found) == set(OWNER_TRIGGERS + COVERAGE_TRIGGERS + WRITE_MEMORY_TRIGGERS + GUARD_TRIGGERS)


def test_every_page_file_is_in_the_registry_and_every_registered_page_has_a_file():
    files = {path.relative_to(PROJECT_ROOT).as_posix() for path in (PROJECT_ROOT / "app_pages").glob("*.py")}
    assert files == {page.file for page in (FLEET_PAGE, *PAGES)}
