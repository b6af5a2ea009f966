"""Every SQL block of the playbook, run verbatim by psql against a migrated demo database."""

import subprocess

import pytest
from sqlalchemy import text

from lib.coverage.counts import table_coverage
from lib.db.embedded import PSQL
from tests.support.database import DEMO_ACCOUNTS, DEMO_OPPORTUNITIES
from tests.support.playbook import PLAYBOOKS, playbook_sql_blocks


def psql(engine, sql: str) -> list[str]:
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    result = subprocess.run(
        [PSQL, "-X", "--no-align", "--tuples-only", "-v", "ON_ERROR_STOP=1", url],
        input=sql,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_every_playbook_block_runs_verbatim_on_the_demo(demo_db, playbook):
    volume, backfill, coverage, remainder, rollback = playbook_sql_blocks(playbook)
    with demo_db.connect() as connection:
        expected = {row.table: row for row in table_coverage(connection)}
        expected_remainder = connection.execute(
            text(
                "SELECT entity_type, reason, count(*) FROM owner_backfill_errors GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ).all()

    assert psql(demo_db, volume) == [str(expected[table].total_legacy) for table in expected]
    # Nothing left to resolve after the initial backfill: every row scanned, none fixed.
    assert psql(demo_db, backfill) == [
        f"({table},{rows},0,{row.total_legacy - row.resolved_fk})"
        for (table, row), rows in zip(expected.items(), (DEMO_ACCOUNTS, DEMO_OPPORTUNITIES), strict=True)
    ]
    accounts = expected["crm_accounts"]
    assert psql(demo_db, coverage) == [
        f"{accounts.total_legacy}|{accounts.resolved_fk}|{accounts.resolved_pct}"
    ]
    assert psql(demo_db, remainder) == [
        f"{table}|{reason}|{count}" for table, reason, count in expected_remainder
    ]

    psql(demo_db, rollback)
    with demo_db.connect() as connection:
        states = connection.execute(
            text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE '%owner%guard'")
        ).all()
    assert len(states) == 4
    assert {state for _, state in states} == {"D"}


def test_the_rollback_is_undone_by_enabling_the_triggers(demo_db):
    rollback = playbook_sql_blocks()[-1]
    psql(demo_db, rollback)
    psql(demo_db, rollback.replace("DISABLE", "ENABLE"))
    with demo_db.connect() as connection:
        states = connection.execute(
            text("SELECT DISTINCT tgenabled FROM pg_trigger WHERE tgname LIKE '%owner%guard'")
        )
        assert states.scalars().all() == ["O"]
