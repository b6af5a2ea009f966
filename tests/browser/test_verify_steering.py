"""Journey: an operator starts a verify from the console, pauses it, sees why it waits, and
resumes it to its verdict."""

import re

from sqlalchemy import text

from tests.support.console import OPERATOR, wait_until_rendered
from tests.support.runs import latest_verify

# The 8,000 demo rows in 80 batches half a second apart: the run is seen on its way.
BATCH_SIZE, PAUSE_MS = 100, 500
RUN_SECONDS = 120


def test_an_operator_pauses_a_verify_and_resumes_it_to_its_verdict(operator, demo):
    page = operator.open("operations")
    page.get_by_role("button", name="Verify now…").click()
    dialog = page.get_by_role("dialog")
    for label, value in (("Batch size (rows)", BATCH_SIZE), ("Pause between batches (ms)", PAUSE_MS)):
        field = dialog.get_by_role("spinbutton", name=label)
        field.fill(str(value))
        field.press("Enter")
        dialog.get_by_test_id("InputInstructions").wait_for(state="hidden")
        wait_until_rendered(page)
    dialog.get_by_role("button", name="Start verify").click()
    dialog.wait_for(state="detached")
    run = latest_verify(demo)
    page.get_by_text(f"verify run {run.id} running").wait_for()

    page.get_by_role("button", name="Pause verify").click()
    page.get_by_text(f"Waiting before its next batch: paused: paused by {OPERATOR}.").wait_for()
    paused = latest_verify(demo)
    assert paused.status == "paused" and 0 < paused.rows_scanned < paused.rows_total
    page.get_by_text(f"verify run {run.id} paused").wait_for()

    page.get_by_role("button", name="Resume verify").click()
    page.get_by_text(re.compile(rf"verify run {run.id} (passed|drift)")).wait_for(timeout=RUN_SECONDS * 1000)
    finished = latest_verify(demo)
    assert (finished.id, finished.status, finished.rows_scanned) == (run.id, "passed", finished.rows_total)
    assert finished.held_seconds > 0 and finished.started_by == OPERATOR
    with demo.connect() as connection:
        audited = connection.execute(
            text(
                "SELECT action, outcome, actor, via FROM migration_ops.audit_log "
                "WHERE action LIKE '%verify' AND outcome = 'succeeded' ORDER BY id"
            )
        ).all()
    assert audited == [
        ("pause verify", "succeeded", OPERATOR, "console"),
        ("resume verify", "succeeded", OPERATOR, "console"),
        ("verify", "succeeded", OPERATOR, "console"),
    ]
    assert operator.problems(page) == []
