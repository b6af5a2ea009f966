"""run_owner_backfill() and backfill_owner_batch(): fill owner_user_id only, keep the legacy text,
and leave owner_backfill_errors equal to the unresolved rows."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lib.registry import MIGRATED_TABLES
from tests.support.crm import (
    add_user,
    error_rows,
    insert_row,
    owner_of,
    owner_triggers_off,
    unfill,
    unresolved_rows,
)


def table_state(connection):
    return {
        table: connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
        for table in MIGRATED_TABLES
    }


def run_backfill(connection):
    rows = connection.execute(text("SELECT * FROM run_owner_backfill()")).all()
    return {row.entity_type: (row.scanned, row.resolved, row.unresolved) for row in rows}


def test_backfill_is_idempotent_on_the_demo(demo_db):
    with demo_db.begin() as connection:
        before, errors_before = table_state(connection), error_rows(connection)
        summary = run_backfill(connection)
        assert table_state(connection) == before
        assert error_rows(connection) == errors_before
    assert {table: resolved for table, (_, resolved, _) in summary.items()} == dict.fromkeys(
        MIGRATED_TABLES, 0
    )


def test_backfill_summary_counts_each_table(demo_db):
    with demo_db.begin() as connection:
        counts = {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in MIGRATED_TABLES}
        unresolved = {
            t: sum(1 for (table, _) in unresolved_rows(connection) if table == t) for t in MIGRATED_TABLES
        }
        summary = run_backfill(connection)
    assert summary == {t: (counts[t], 0, unresolved[t]) for t in MIGRATED_TABLES}


@pytest.mark.parametrize("table", MIGRATED_TABLES)
def test_backfill_fills_the_id_and_keeps_the_legacy_text(db, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username=" LATE.COMER ")
        assert error_rows(connection) == {(table, row): (" LATE.COMER ", "user_not_found")}
        user = add_user(connection, "late.comer")
        summary = run_backfill(connection)
        assert owner_of(connection, table, row) == (" LATE.COMER ", user)
        assert error_rows(connection) == {}
        assert summary[table][1:] == (1, 0)


@pytest.mark.parametrize("table", MIGRATED_TABLES)
def test_backfill_refreshes_the_reason_of_what_stays_unresolved(db, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="PAT")
        add_user(connection, "pat")
        add_user(connection, "Pat")
        assert error_rows(connection)[(table, row)] == ("PAT", "user_not_found")
        run_backfill(connection)
        assert error_rows(connection) == {(table, row): ("PAT", "ambiguous_username")}


def test_backfill_reconciles_errors_written_while_triggers_were_off(db):
    with db.begin() as connection:
        add_user(connection, "jdoe")
        ghost_rows, kept = [], []
        for table in MIGRATED_TABLES:
            kept.append((table, insert_row(connection, table, owner_username="ghost")))
            with owner_triggers_off(connection, table):
                ghost_rows.append((table, insert_row(connection, table, owner_username="nobody")))
                insert_row(connection, table, owner_username="jdoe")
                # Deleted and resolved behind the log trigger's back: their errors are stale.
                connection.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": kept[-1][1]})
        assert set(error_rows(connection)) != unresolved_rows(connection)

        run_backfill(connection)
        assert set(error_rows(connection)) == unresolved_rows(connection) == set(ghost_rows)


@pytest.mark.parametrize("table", MIGRATED_TABLES)
def test_keyset_batches_give_the_same_result_as_one_pass(demo_db, table):
    with demo_db.begin() as connection:
        # Every row back to unfilled, so that the backfill has all to do.
        unfill(connection, table)
        connection.exec_driver_sql("SAVEPOINT before_backfill")

        assert run_backfill(connection)[table][1] > 0
        one_pass = table_state(connection), error_rows(connection)
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT before_backfill")

        after_id, batches, scanned = None, 0, 0
        while True:
            batch = connection.execute(
                text("SELECT * FROM backfill_owner_batch(:table, :after_id, 500)"),
                {"table": table, "after_id": after_id},
            ).one()
            if batch.scanned == 0:
                break
            after_id, batches, scanned = batch.last_id, batches + 1, scanned + batch.scanned
        assert (table_state(connection), error_rows(connection)) == one_pass
        assert set(error_rows(connection)) == unresolved_rows(connection)
        assert batches == -(-scanned // 500)


@pytest.mark.parametrize(
    ("table", "batch_size", "message"),
    [
        ("app_users", 10, "app_users is not a migrated table"),
        ("crm_accounts; DROP TABLE app_users", 10, "is not a migrated table"),
        ("crm_accounts", 0, "batch size must be at least 1"),
    ],
)
def test_batch_refuses_bad_arguments(db, table, batch_size, message):
    with pytest.raises(DBAPIError, match=message), db.connect() as connection:
        connection.execute(
            text("SELECT * FROM backfill_owner_batch(:table, NULL, :size)"),
            {"table": table, "size": batch_size},
        )


@pytest.mark.parametrize("table", MIGRATED_TABLES)
def test_writes_after_a_backfill_in_the_same_transaction_still_go_through_the_triggers(db, table):
    with db.begin() as connection:
        add_user(connection, "ann")
        run_backfill(connection)
        resolved = insert_row(connection, table, owner_username="ANN")
        unresolved = insert_row(connection, table, owner_username="ghost")
        assert owner_of(connection, table, resolved)[1] is not None
        assert error_rows(connection) == {(table, unresolved): ("ghost", "user_not_found")}
