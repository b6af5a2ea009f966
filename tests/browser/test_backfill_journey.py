"""An operator re-runs the backfill on a table of 200k rows and watches it to completion."""

import getpass

import pytest
from sqlalchemy import text

from lib.coverage import table_coverage
from lib.demo import load_demo
from lib.registry import MIGRATED_TABLES
from tests.browser.console import chromium, open_page, running_console
from tests.conftest import build, clone

ACCOUNTS, OPPORTUNITIES = 50_000, 200_000


@pytest.fixture(scope="module")
def big_db(server_url):
    """A demo with 200k opportunities whose ids were never filled: the backfill has it all to do."""
    for engine in clone(server_url, "template0"):
        build(engine.url, lambda connection: load_demo(connection, ACCOUNTS, OPPORTUNITIES))
        with engine.begin() as connection:
            for table in MIGRATED_TABLES:
                connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                connection.exec_driver_sql(f"UPDATE {table} SET owner_user_id = NULL")
                connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        yield engine


def test_an_operator_reruns_the_backfill_and_watches_it_complete(big_db):
    with big_db.connect() as connection:
        before = {row.table: row for row in table_coverage(connection)}
    assert before["crm_opportunities"].resolved_fk == 0
    url = big_db.url.render_as_string(hide_password=False)
    with running_console(url, OWNER_CONSOLE_LOCAL_OPERATORS=getpass.getuser()) as base, chromium() as browser:
        page = open_page(browser, f"{base}/operations")
        page.get_by_role("button", name="Re-run backfill…").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("rows resolved").first.wait_for()
        dialog.get_by_role("button", name="Start the backfill").click()
        bar = page.locator("[data-testid=stProgress]")
        bar.wait_for(timeout=30_000)
        progressbar = page.locator("[data-testid=stProgress] [role=progressbar]")
        seen = {progressbar.get_attribute("aria-valuenow")}
        page.get_by_text("succeeded").first.wait_for(timeout=180_000)
        seen.add(progressbar.get_attribute("aria-valuenow"))
        badge = page.get_by_text("last run").first.inner_text()
    with big_db.connect() as connection:
        after = {row.table: row for row in table_coverage(connection)}
        run = connection.execute(
            text("SELECT * FROM migration_ops.backfill_runs ORDER BY id DESC LIMIT 1")
        ).one()
    assert "100" in seen and len(seen) == 2  # it moved, and reached the end
    assert run.status == "succeeded" and run.source == "console"
    assert run.rows_scanned == ACCOUNTS + OPPORTUNITIES
    assert run.rows_resolved == sum(after[t].resolved_fk for t in MIGRATED_TABLES)
    assert after["crm_opportunities"].resolved_pct > before["crm_opportunities"].resolved_pct
    assert badge.endswith(f"last run {run.id} succeeded")
    seconds = (run.finished_at - run.started_at).total_seconds()
    print(f"backfill of {run.rows_scanned:,} rows: {run.rows_scanned / seconds:,.0f} rows/s")
