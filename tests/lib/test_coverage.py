"""Coverage equals the playbook's step-3 query, as written in the seed."""

from decimal import Decimal

from lib.coverage import table_coverage
from lib.registry import MIGRATED_TABLES
from tests.crm import insert_row
from tests.playbook import playbook_coverage


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
