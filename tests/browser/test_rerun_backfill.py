"""Journey 4: the missing users are created, and an operator re-runs the backfill from the console
and follows it to completion."""

import re

from playwright.sync_api import expect
from sqlalchemy import text

from lib.registry import MIGRATED_TABLES
from lib.text import WORD_JOINER
from tests.support.console import OPERATOR, grid_rows, wait_for_first_run_to_end, wait_until_rendered
from tests.support.playbook import playbook_coverage

# Small batches of a fixed size, with a pause, so that the 8,000 demo rows take several seconds
# and the bar is seen on its way.
BATCH_SIZE, PAUSE_MS = 200, 100
RUN_SECONDS = 120

# Every value the progress bar shows, however briefly, in the order shown.
RECORD_PROGRESS = """
    window.progressSeen = [];
    new MutationObserver(() => {
        const bar = document.querySelector('[data-testid=stProgress] [role=progressbar]');
        const value = bar && Number(bar.getAttribute('aria-valuenow'));
        if (bar && window.progressSeen.at(-1) !== value) window.progressSeen.push(value);
    }).observe(document.body, {subtree: true, childList: true, attributes: true});
"""


def coverage(demo) -> dict[str, tuple]:
    with demo.connect() as connection:
        return {table: playbook_coverage(connection, table) for table in MIGRATED_TABLES}


def test_an_operator_reruns_the_backfill_and_watches_it_complete(operator, demo):
    with demo.begin() as connection:
        created = connection.execute(
            text("""
                INSERT INTO app_users (username)
                SELECT DISTINCT owner_username FROM owner_backfill_errors WHERE reason = 'user_not_found'
            """)
        ).rowcount
    assert created > 0
    before = coverage(demo)

    page = operator.open("operations")
    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("button", name="Re-run backfill…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("rows resolved").first.wait_for()
    dialog.get_by_text("Throttling and batch size").click()
    fixed = ("Target batch time (ms)", 0)  # the batch size stays as set: no tuning
    for label, value in (("Batch size (rows)", BATCH_SIZE), ("Pause between batches (ms)", PAUSE_MS), fixed):
        field = dialog.get_by_role("spinbutton", name=label)
        field.fill(str(value))
        field.press("Enter")
        dialog.get_by_test_id("InputInstructions").wait_for(state="hidden")
        wait_until_rendered(page)
    dialog.get_by_role("button", name="Start the backfill").click()
    dialog.wait_for(state="detached")
    # The page drawn by the click shows the new run at once, never "No backfill run yet".
    wait_until_rendered(page)
    assert page.get_by_text("No backfill run yet").count() == 0
    assert page.get_by_text(re.compile(r"\brun 1 (running|succeeded)\b")).first.is_visible()
    assert wait_for_first_run_to_end(page, demo, RUN_SECONDS) == "succeeded"
    seen = page.evaluate("window.progressSeen")

    after = coverage(demo)
    with demo.connect() as connection:
        run = connection.execute(text("SELECT * FROM migration_ops.backfill_runs")).one()
        rows = sum(
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in MIGRATED_TABLES
        )
    # The bar moved through the run, forwards only, and reached the end.
    assert seen[-1] == 100 and any(0 < value < 100 for value in seen), seen
    assert seen == sorted(seen)
    assert run.status == "succeeded" and run.source == "console" and run.started_by == OPERATOR
    assert run.batch_size == run.batch_size_now == BATCH_SIZE
    assert run.rows_scanned == rows
    assert run.rows_unresolved == sum(after[table][0] - after[table][1] for table in MIGRATED_TABLES)
    assert run.rows_resolved == sum(after[table][1] - before[table][1] for table in MIGRATED_TABLES) > 0
    assert after["crm_accounts"][2] > before["crm_accounts"][2]

    # The badge is drawn before the grid below it, so the grid may still show the run as running.
    runs_frame = page.locator("[data-testid=stDataFrame]").first
    runs_frame.scroll_into_view_if_needed()
    expect(runs_frame.locator("table [role=row]").nth(1)).to_contain_text("succeeded")
    history = grid_rows(runs_frame)
    row = dict(zip(history[0], history[1], strict=True))
    assert row["run"] == "1" and row["status"] == "succeeded"
    # The grid's accessible copy holds the values; the format it draws them in is checked by the
    # page tests. The details are text, in the console's one format.
    assert row["scanned"] == str(run.rows_scanned) and row["resolved"] == str(run.rows_resolved)
    details = page.locator("[data-testid=stTable]").first.inner_text().replace(WORD_JOINER, "")
    assert f"{OPERATOR} (console)" in details and f"{run.rows_scanned:,}" in details

    page = operator.open("coverage")
    metric = page.locator("[data-testid=stMetric]").filter(has_text="crm_accounts")
    assert metric.locator("[data-testid=stMetricValue]").inner_text() == f"{after['crm_accounts'][2]}%"
    assert operator.problems(page) == []
