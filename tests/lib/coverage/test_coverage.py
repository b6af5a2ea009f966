"""Coverage equals the playbook's step-3 query, as written in the seed."""

from decimal import Decimal

from sqlalchemy import text

from lib.coverage.counts import resolved_pct, table_coverage
from lib.registry import MIGRATED_TABLES
from tests.support.crm import insert_row
from tests.support.playbook import playbook_coverage


def test_coverage_equals_the_playbook_query_on_the_demo(demo_db):
    with demo_db.connect() as connection:
        figures = {
            row.table: (row.total_legacy, row.resolved_fk, row.resolved_pct)
            for row in table_coverage(connection)
        }
        assert figures == {table: playbook_coverage(connection, table) for table in MIGRATED_TABLES}


def test_the_demo_lands_one_table_below_and_one_above_the_target(demo_db):
    with demo_db.connect() as connection:
        coverage = {row.table: row for row in table_coverage(connection)}
    assert Decimal("98.5") <= coverage["crm_accounts"].resolved_pct < Decimal("99")
    assert not coverage["crm_accounts"].meets_target
    assert Decimal("99") <= coverage["crm_opportunities"].resolved_pct < Decimal("99.5")
    assert coverage["crm_opportunities"].meets_target


def test_a_table_without_owned_rows_counts_as_fully_covered(db):
    with db.begin() as connection:
        insert_row(connection, "crm_accounts", owner_username="  ")
        coverage = {row.table: row for row in table_coverage(connection)}
        assert (coverage["crm_accounts"].total_legacy, coverage["crm_accounts"].resolved_pct) == (0, 100)
        assert playbook_coverage(connection, "crm_accounts") == (0, 0, 100)


def kept_and_scanned(connection) -> tuple[dict, dict]:
    kept = {
        row.table: (row.total_legacy, row.resolved_fk, row.resolved_pct) for row in table_coverage(connection)
    }
    return kept, {table: playbook_coverage(connection, table) for table in MIGRATED_TABLES}


def test_the_kept_counts_follow_copy_delete_truncate_and_a_fold(demo_db):
    with demo_db.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy("COPY crm_accounts (name, owner_username) FROM STDIN") as copy:
            for number in range(300):
                copy.write_row((f"copied {number}", ["nobody", " ", None][number % 3]))
        connection.execute(text("DELETE FROM crm_opportunities WHERE id % 7 = 0"))
        kept, scanned = kept_and_scanned(connection)
        assert kept == scanned
        connection.execute(text("SELECT migration_ops.fold_coverage_counts()"))
        folded = connection.execute(
            text("SELECT entity_type, count(*) FROM migration_ops.coverage_counts GROUP BY entity_type")
        ).all()
        assert sorted(folded) == [(table, 1) for table in MIGRATED_TABLES]
        assert kept_and_scanned(connection) == (kept, scanned)
        connection.execute(text("TRUNCATE crm_accounts, crm_opportunities"))
        insert_row(connection, "crm_accounts", owner_username="nobody")
        kept, scanned = kept_and_scanned(connection)
        assert kept == scanned and kept["crm_accounts"] == (1, 0, 0)


def test_a_writer_never_waits_on_the_counts_of_another(demo_db):
    # Two open transactions that both change coverage: each adds a row of its own, so neither waits.
    with demo_db.connect() as first, demo_db.connect() as second:
        for connection in (first, second):
            connection.execute(text("SET lock_timeout = '1s'"))
            insert_row(connection, "crm_accounts", owner_username="nobody")
        first.commit()
        second.commit()
        assert kept_and_scanned(first)[0] == kept_and_scanned(first)[1]


def test_a_recount_repairs_counts_that_writes_behind_every_trigger_left_behind(demo_db):
    with demo_db.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE crm_accounts DISABLE TRIGGER USER")
        insert_row(connection, "crm_accounts", owner_username="nobody")
        connection.exec_driver_sql("ALTER TABLE crm_accounts ENABLE TRIGGER USER")
        kept, scanned = kept_and_scanned(connection)
        assert kept["crm_accounts"] != scanned["crm_accounts"]
        connection.execute(text("SELECT migration_ops.recount_coverage('crm_accounts')"))
        assert kept_and_scanned(connection)[0] == scanned


def test_resolved_pct_in_python_rounds_as_the_database_does(db):
    pairs = [(0, 0), (1, 0), (3, 2), (8, 1), (200, 199), (400, 397), (1_000_000, 989_950), (7, 7)]
    pairs += [
        (total, resolved) for total in (997, 1_003, 20_001) for resolved in range(total - 40, total + 1)
    ]
    with db.connect() as connection:
        in_sql = (
            connection.execute(
                text(
                    "SELECT migration_ops.resolved_pct(t, r) "
                    "FROM unnest(CAST(:t AS bigint[]), CAST(:r AS bigint[])) AS p (t, r)"
                ),
                {"t": [total for total, _ in pairs], "r": [resolved for _, resolved in pairs]},
            )
            .scalars()
            .all()
        )
    assert [resolved_pct(total, resolved) for total, resolved in pairs] == in_sql
