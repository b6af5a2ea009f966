"""The revisions: what they create, downgrade keeping data, the deferred backfill, and the
offline SQL that squawk lints."""

import subprocess
import sys
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lib.coverage.counts import table_coverage
from lib.db.schema import (
    BASELINE_REVISION,
    OWNER_MIGRATION_REVISION,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from lib.db.settings import PROJECT_ROOT
from lib.demo.generator import load_demo
from lib.registry import MIGRATED_TABLES
from tests.support.contract import owner_data
from tests.support.crm import error_rows, unresolved_rows

TRIGGERS = {f"{table}_owner_{kind}_guard" for table in MIGRATED_TABLES for kind in ("sync", "log")}
COVERAGE_TRIGGERS = {
    f"{table}_coverage_{event}"
    for table in MIGRATED_TABLES
    for event in ("insert", "update", "delete", "truncate")
}
WRITE_MEMORY_TRIGGERS = {
    f"{table}_owner_writes_{event}" for table in MIGRATED_TABLES for event in ("insert", "update")
} | {"app_users_former_username"}
GUARD_TRIGGERS = {
    f"{table}_{suffix}"
    for table in MIGRATED_TABLES
    for suffix in ("owner_bypass_check", "owner_errors_delete", "owner_errors_truncate")
}
FUNCTIONS = {
    "resolve_owner_username",
    "resolve_owner_usernames",  # the rule, set-based (0053)
    "sync_owner_reference_fields",
    "log_unresolved_owner_reference",
    "backfill_owner_batch",
    "run_owner_backfill",
}
VIEWS = {f"{table}_with_owner" for table in MIGRATED_TABLES}


def catalog(connection):
    def names(sql):
        return {row[0] for row in connection.execute(text(sql))}

    return {
        "triggers": names(
            "SELECT tgname FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace"
        ),
        "functions": names("SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"),
        "views": names("SELECT viewname FROM pg_views WHERE schemaname = 'public'"),
    }


def test_head_has_every_object_with_the_playbooks_names(db):
    with db.connect() as connection:
        assert current_revision(connection) == head_revision() == "0061_verify_runs_for_one_runner"
        assert catalog(connection) == {
            "triggers": TRIGGERS | COVERAGE_TRIGGERS | WRITE_MEMORY_TRIGGERS | GUARD_TRIGGERS,
            "functions": FUNCTIONS,
            "views": VIEWS,
        }
        enabled = connection.execute(
            text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE 'crm\\_%\\_guard'")
        )
        assert {name: state for name, state in enabled} == dict.fromkeys(TRIGGERS, "O")
        foreign_keys = connection.execute(
            text("SELECT conname, convalidated FROM pg_constraint WHERE conname LIKE '%owner_user_id_fkey'")
        )
        assert dict(foreign_keys.all()) == {f"{table}_owner_user_id_fkey": True for table in MIGRATED_TABLES}
        indexes = connection.execute(
            text("""
                SELECT c.relname FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
                WHERE i.indisvalid AND c.relname LIKE ANY (ARRAY['%owner%idx', '%lower%idx'])
            """)
        )
        alias_indexes = {"owner_username_aliases_user_idx", "owner_username_aliases_batch_idx"}
        memory_indexes = {"owner_writes_while_off_entity_idx"}
        assert {name for (name,) in indexes} == {
            "app_users_username_lower_idx"
        } | alias_indexes | memory_indexes | {
            f"{table}_owner_{kind}_idx"
            for table in MIGRATED_TABLES
            for kind in ("user_id", "unresolved", "unresolved_short_username", "unresolved_long_username")
        }


def test_the_unresolved_count_reads_the_partial_index(demo_db):
    with demo_db.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        for table in MIGRATED_TABLES:
            plan = (
                connection.exec_driver_sql(
                    f"EXPLAIN SELECT count(*) FROM {table} WHERE owner_user_id IS NULL "
                    "AND owner_username IS NOT NULL AND btrim(owner_username) <> ''"
                )
                .scalars()
                .all()
            )
            # Either partial index of the unresolved rows (by id, or by username) answers it.
            assert f"{table}_owner_unresolved_" in "\n".join(plan)


def test_downgrade_keeps_every_id_and_error_and_upgrade_restores_the_rest(demo_db):
    with demo_db.connect() as connection:
        ids, errors = owner_data(connection), error_rows(connection)
        assert errors

        downgrade(connection, BASELINE_REVISION)
        assert current_revision(connection) == BASELINE_REVISION
        assert catalog(connection) == {"triggers": set(), "functions": set(), "views": set()}
        assert owner_data(connection) == ids
        assert error_rows(connection) == errors

        upgrade(connection, "head")
        assert current_revision(connection) == head_revision()
        assert (
            catalog(connection)["triggers"]
            == TRIGGERS | COVERAGE_TRIGGERS | WRITE_MEMORY_TRIGGERS | GUARD_TRIGGERS
        )
        assert owner_data(connection) == ids
        assert error_rows(connection) == errors


def test_the_baseline_refuses_to_be_downgraded(db):
    with pytest.raises(RuntimeError, match="would drop the CRM's data"), db.connect() as connection:
        downgrade(connection, "base")


def test_skip_backfill_defers_the_initial_backfill(deferred_backfill_db):
    with deferred_backfill_db.connect() as connection:
        assert [row.resolved_fk for row in table_coverage(connection)] == [0, 0]
        assert error_rows(connection) == {}

        connection.execute(text("SELECT run_owner_backfill()"))
        assert [row.resolved_fk for row in table_coverage(connection)] == [1, 0]
        assert set(error_rows(connection)) == unresolved_rows(connection) == {("crm_accounts", 2)}


def test_the_initial_backfill_runs_during_the_upgrade(empty_db):
    with empty_db.connect() as connection:
        report = load_demo(connection, accounts=500, opportunities=1_000)
        coverage = {row.table: row for row in table_coverage(connection)}
        assert report.accounts == coverage["crm_accounts"].total_legacy + 15  # 2% NULL, 1% blank
        assert coverage["crm_accounts"].resolved_fk > 0
        assert set(error_rows(connection)) == unresolved_rows(connection)


@pytest.mark.slow
def test_ddl_waits_at_most_the_lock_timeout(empty_db):
    with empty_db.connect() as connection:
        upgrade(connection, BASELINE_REVISION)
    holder = empty_db.connect()
    holder.exec_driver_sql("LOCK TABLE crm_accounts IN ACCESS SHARE MODE")
    outcome = {}

    def migrate():
        with empty_db.connect() as connection:
            try:
                upgrade(connection, OWNER_MIGRATION_REVISION)
            except DBAPIError as error:
                outcome["error"] = str(error.orig)

    worker = threading.Thread(target=migrate)
    worker.start()
    worker.join(timeout=60)
    holder.rollback()
    holder.close()
    assert not worker.is_alive()
    assert "lock timeout" in outcome["error"]
    with empty_db.connect() as connection:
        assert current_revision(connection) == BASELINE_REVISION


def offline_sql() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head", "--sql"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_offline_sql_sets_lock_timeout_before_any_ddl_and_indexes_concurrently():
    sql = offline_sql()
    assert sql.index("SET lock_timeout = '5s'") < sql.index("CREATE TABLE")
    # app_users (lower(username)); per table: owner_user_id, the unresolved rows, their usernames
    # (0046), and then their short usernames and the ids of the long ones (0047).
    assert sql.count("CREATE INDEX CONCURRENTLY") == 1 + 5 * len(MIGRATED_TABLES)
    # CONCURRENTLY needs to run outside a transaction: the block is preceded by a COMMIT.
    owner_part = sql[sql.index("ALTER TABLE crm_accounts ADD COLUMN") :]
    assert owner_part.index("COMMIT;") < owner_part.index("CREATE INDEX CONCURRENTLY")
    # The foreign keys, the runs table's status check (0052), verify's drift kinds (0056), the
    # audit's tools (0057) and verify's status check (0060).
    assert sql.count("NOT VALID") == len(MIGRATED_TABLES) + 4
    assert "SELECT * FROM run_owner_backfill()" in sql


def test_replacing_the_owner_triggers_keeps_a_disabled_one_disabled(demo_db):
    with demo_db.connect() as connection:
        downgrade(connection, "0044_set_based_backfill_batch")
        connection.execute(text("ALTER TABLE crm_accounts DISABLE TRIGGER crm_accounts_owner_sync_guard"))
        connection.commit()
        upgrade(connection, "head")
        states = dict(
            connection.execute(
                text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE '%owner%guard'")
            ).all()
        )
    assert states == {name: "D" if name == "crm_accounts_owner_sync_guard" else "O" for name in TRIGGERS}
