"""R8: the migrations under faults. Every step down and back up keeps every owner_user_id and every
error row; a CONCURRENTLY build that failed and left an INVALID index is rebuilt by the next
upgrade; a CRM that predates Alembic is adopted with `alembic stamp`, data and all.
"""

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from lib.coverage.counts import table_coverage
from lib.db.schema import (
    BASELINE_REVISION,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from lib.registry import MIGRATED_TABLES
from tests.support.cli import python_module
from tests.support.crm import error_rows, owner_state, unresolved_rows
from tests.support.faults import record
from tests.support.playbook import playbook_coverage


def revisions_newest_first() -> list[str]:
    return [script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()]


def test_each_step_down_and_back_up_keeps_every_id_and_error_row(demo_db):
    expected = owner_state(demo_db)
    assert expected[1], "the demo has unresolved rows"
    steps = 0
    with demo_db.connect() as connection:
        for target in revisions_newest_first()[1:]:
            downgrade(connection, target)
            steps += 1
            assert current_revision(connection) == target
            assert owner_state(demo_db) == expected, f"after the downgrade to {target}"
        assert current_revision(connection) == BASELINE_REVISION
        upgrade(connection, "head")
    assert owner_state(demo_db) == expected
    with demo_db.connect() as connection:
        assert set(error_rows(connection)) == unresolved_rows(connection)
        for row in table_coverage(connection):
            assert (row.total_legacy, row.resolved_fk, row.resolved_pct) == playbook_coverage(
                connection, row.table
            )
    rows = sum(map(len, expected[0].values()))
    record("R8 downgrade steps, each checked", f"{steps}, then back to head")
    record("R8 owner_user_id values and error rows kept", f"{rows:,} rows, {len(expected[1]):,} error rows")


# An index of each CONCURRENTLY revision, the revision just before it, and a UNIQUE variant of
# its definition that fails on the demo's duplicates, leaving an INVALID index of that name.
FAILED_BUILDS = {
    "crm_accounts_owner_user_id_idx": (BASELINE_REVISION, "crm_accounts (owner_user_id)"),
    "crm_opportunities_owner_unresolved_short_username_idx": (
        "0046_unresolved_username_index",
        "crm_opportunities (owner_username) WHERE owner_user_id IS NULL",
    ),
}


@pytest.mark.parametrize("index", FAILED_BUILDS)
def test_an_invalid_index_left_by_a_failed_build_is_rebuilt_by_the_next_upgrade(demo_db, db, index):
    before, failing_definition = FAILED_BUILDS[index]
    with db.connect() as connection:
        expected = index_definition(connection, index)
    with demo_db.connect() as connection:
        downgrade(connection, before)
        connection.execute(text(f"DROP INDEX IF EXISTS {index}"))
        connection.commit()
        failed = connection.execution_options(isolation_level="AUTOCOMMIT")
        with pytest.raises(Exception, match="could not create unique index"):
            failed.execute(text(f"CREATE UNIQUE INDEX CONCURRENTLY {index} ON {failing_definition}"))
        assert index_validity(connection, index) is False
    with demo_db.connect() as connection:
        upgrade(connection, "head")
        assert index_validity(connection, index) is True
        assert index_definition(connection, index) == expected
    record(
        "R8 INVALID indexes left by failed builds, rebuilt", f"{len(FAILED_BUILDS)} of {len(FAILED_BUILDS)}"
    )


def index_validity(connection: Connection, index: str) -> bool | None:
    valid = connection.execute(
        text(
            "SELECT i.indisvalid FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid "
            "WHERE c.relname = :n"
        ),
        {"n": index},
    ).scalar()
    connection.rollback()
    return valid


def index_definition(connection: Connection, index: str) -> str:
    return connection.execute(text("SELECT pg_get_indexdef(to_regclass(:n))"), {"n": index}).scalar_one()


def test_a_crm_that_predates_alembic_is_adopted_with_stamp_then_upgraded_with_its_data(demo_db, db):
    # A copy of a production CRM that never saw Alembic: the baseline's tables with their data.
    with demo_db.connect() as connection:
        downgrade(connection, BASELINE_REVISION)
        for table in MIGRATED_TABLES:
            connection.execute(text(f"ALTER TABLE {table} DROP COLUMN owner_user_id"))
        connection.execute(text("DROP TABLE owner_backfill_errors, alembic_version"))
        connection.execute(text("DROP SCHEMA migration_ops CASCADE"))
        connection.commit()
        legacy = legacy_owners(connection)
    url = demo_db.url.render_as_string(hide_password=False)

    # Upgrading without the stamp is refused by the tables that exist, and changes nothing.
    refused = python_module("alembic", "upgrade", "head", database_url=url)
    assert refused.returncode != 0 and "already exists" in refused.stderr
    with demo_db.connect() as connection:
        assert current_revision(connection) is None and legacy_owners(connection) == legacy

    stamped = python_module("alembic", "stamp", BASELINE_REVISION, database_url=url)
    assert stamped.returncode == 0, stamped.stderr
    upgraded = python_module("alembic", "upgrade", "head", database_url=url)
    assert upgraded.returncode == 0, upgraded.stderr
    with demo_db.connect() as connection:
        assert current_revision(connection) == head_revision()
        assert legacy_owners(connection) == legacy
        assert set(error_rows(connection)) == unresolved_rows(connection)
        for row in table_coverage(connection):
            assert (row.total_legacy, row.resolved_fk, row.resolved_pct) == playbook_coverage(
                connection, row.table
            )
            assert row.resolved_fk > 0
    with db.connect() as fresh, demo_db.connect() as adopted:
        assert schema_objects(adopted) == schema_objects(fresh)
    record(
        "R8 adoption with alembic stamp",
        f"{sum(map(len, legacy.values())):,} rows kept, schema equal to a fresh head",
    )


def legacy_owners(connection: Connection) -> dict[str, list]:
    return {
        table: connection.execute(text(f"SELECT id, name, owner_username FROM {table} ORDER BY id")).all()
        for table in MIGRATED_TABLES
    }


def schema_objects(connection: Connection) -> dict[str, set]:
    def names(sql: str) -> set:
        return set(connection.execute(text(sql)).all())

    return {
        "columns": names(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema IN ('public', 'migration_ops')"
        ),
        "indexes": names(
            "SELECT schemaname, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname IN ('public', 'migration_ops')"
        ),
        "triggers": names("SELECT tgname, tgenabled::text FROM pg_trigger WHERE NOT tgisinternal"),
        "functions": names(
            "SELECT n.nspname, p.proname FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace "
            "WHERE n.nspname IN ('public', 'migration_ops')"
        ),
        "constraints": names(
            "SELECT conname, convalidated FROM pg_constraint AS c "
            "JOIN pg_namespace AS n ON n.oid = c.connamespace WHERE n.nspname IN ('public', 'migration_ops')"
        ),
    }
