"""Drill-down, CSV export and inactive owners of the unresolved remainder."""

import csv
import io
import tracemalloc

import pytest
from sqlalchemy import text

from lib.registry import MIGRATED_TABLES
from lib.remainder import unresolved as remainder
from tests.support.crm import unresolved_accounts
from tests.support.playbook import playbook_sql_blocks

SQL_OF_A_FILTER = """
    SELECT e.entity_type, e.entity_id, t.name, e.owner_username, e.reason, e.first_seen_at, e.last_seen_at
    FROM owner_backfill_errors AS e
    JOIN (SELECT 'crm_accounts' AS entity_type, id, name FROM crm_accounts
          UNION ALL SELECT 'crm_opportunities', id, name FROM crm_opportunities) AS t
      ON t.entity_type = e.entity_type AND t.id = e.entity_id
    WHERE e.entity_type = ANY(:tables) AND e.reason = ANY(:reasons)
      AND position(lower(:needle) IN lower(e.owner_username)) > 0
    ORDER BY e.entity_type, e.entity_id
"""
# The same rows as PostgreSQL's text of each value, which is what COPY writes.
SQL_OF_A_FILTER_AS_TEXT = f"""
    SELECT entity_type, entity_id::text, name, owner_username, reason, first_seen_at::text, last_seen_at::text
    FROM ({SQL_OF_A_FILTER}) AS filtered
"""

FILTERS = [
    remainder.UnresolvedFilter(),
    remainder.UnresolvedFilter(tables=("crm_accounts",), reasons=("ambiguous_username",)),
    remainder.UnresolvedFilter(tables=("crm_opportunities",), username_contains="HYPERLINK"),
    remainder.UnresolvedFilter(username_contains="%_"),  # LIKE wildcards are plain text here
]


def rows_by_sql(connection, rows: remainder.UnresolvedFilter, sql: str = SQL_OF_A_FILTER) -> list[tuple]:
    params = {"tables": list(rows.tables), "reasons": list(rows.reasons), "needle": rows.username_contains}
    return [tuple(row) for row in connection.execute(text(sql), params)]


def spreadsheet_cell(value: str) -> str:
    """The demo's formulas are plain ASCII: test_export.py holds the rule's disguised cases."""
    return "'" + value if value.lstrip()[:1] in ("=", "+", "-", "@") or value[:1] in ("\t", "\r") else value


def test_the_breakdown_is_the_playbooks_step_4(demo_db):
    with demo_db.connect() as connection:
        step4 = connection.execute(text(playbook_sql_blocks()[3])).all()
        assert remainder.remainder_by_reason(connection) == [tuple(row) for row in step4]


@pytest.mark.parametrize("rows", FILTERS)
def test_pages_and_count_hold_exactly_what_the_filter_finds_in_sql(demo_db, rows):
    with demo_db.connect() as connection:
        expected = rows_by_sql(connection, rows)
        assert remainder.count_unresolved(connection, rows) == len(expected)
        paged = [
            row
            for page in range(1, len(expected) // 7 + 2)
            for row in remainder.unresolved_page(connection, rows, page, 7)
        ]
    assert [tuple(row[column] for column in remainder.COLUMNS) for row in paged] == expected


@pytest.mark.parametrize("rows", FILTERS)
def test_the_csv_holds_exactly_the_filtered_rows_with_formulas_neutralised(demo_db, rows):
    out = io.BytesIO()
    with demo_db.connect() as connection:
        written = remainder.write_csv(connection, rows, out)
        expected = rows_by_sql(connection, rows, SQL_OF_A_FILTER_AS_TEXT)
    header, *lines = list(csv.reader(io.StringIO(out.getvalue().decode())))
    assert header == list(remainder.COLUMNS) and written == len(lines) == len(expected)
    assert lines == [["" if value is None else spreadsheet_cell(value) for value in row] for row in expected]
    assert any(cell.startswith("'=") for line in lines for cell in line) == any(
        value.startswith("=") for row in expected for value in row
    )


def test_the_demo_csv_neutralises_every_formula_cell(demo_db):
    out = io.BytesIO()
    with demo_db.connect() as connection:
        remainder.write_csv(connection, remainder.UnresolvedFilter(), out)
    cells = [cell for line in csv.reader(io.StringIO(out.getvalue().decode())) for cell in line]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


@pytest.mark.slow
def test_a_100k_row_export_streams_in_bounded_memory(db):
    with db.begin() as connection:
        unresolved_accounts(connection, 100_000)

    class CountingSink(io.RawIOBase):
        lines = 0

        def write(self, chunk) -> int:
            self.lines += bytes(chunk).count(b"\n")
            return len(chunk)

    sink = CountingSink()
    tracemalloc.start()
    with db.connect() as connection:
        written = remainder.write_csv(connection, remainder.UnresolvedFilter(), sink)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert written == 100_000 and sink.lines == 100_001
    # The rows alone are ~15 MB as Python objects; COPY hands over one row's bytes at a time.
    assert peak < 5 * 1024 * 1024


def test_rows_owned_by_inactive_users_are_listed_separately(demo_db):
    with demo_db.connect() as connection:
        found = remainder.inactive_owner_rows(connection, limit=5)
        for table in MIGRATED_TABLES:
            expected = connection.execute(
                text(
                    f"SELECT count(*) FROM {table} AS t JOIN app_users AS u ON u.id = t.owner_user_id "
                    "WHERE NOT u.is_active"
                )
            ).scalar()
            count, sample = found[table]
            assert count == expected > 0
            assert len(sample) == 5 and all(row["owner_user_id"] for row in sample)
