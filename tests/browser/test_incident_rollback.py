"""Journey 5: in an incident, the operator disables every owner trigger (the playbook's rollback
step 3), sees it everywhere, and later enables them again."""

from sqlalchemy import text

from lib.registry import OWNER_TRIGGERS
from tests.support.console import OPERATOR, PAGES, table_rows, wait_for_first_run_to_end
from tests.support.states import TRIGGERS, change_all_triggers, pg_trigger_states


def banner(visitor, path: str) -> str:
    """The trigger warning at the top of the page at `path`, or "" when there is none."""
    page = visitor.open(path)
    warnings = page.locator("[data-testid=stAlertContentWarning]").filter(has_text="not enabled")
    shown = warnings.inner_text() if warnings.count() else ""
    page.close()
    return shown


def test_an_operator_disables_and_enables_the_triggers_with_a_typed_confirmation(operator, demo):
    page = operator.open("operations")
    runs = operator.script_runs[page]
    runs.full.clear()  # the page's first run
    change_all_triggers(page, "disable")
    # Choosing, typing and clicking rerun the form alone (the page redraws once, on its own).
    assert runs.full and runs.whole_page() == 0, runs.full
    assert pg_trigger_states(demo) == dict.fromkeys(TRIGGERS, "D")
    for path in PAGES:
        shown = banner(operator, path)
        assert all(f"trigger {name} is disabled" in shown for name in TRIGGERS), (path, shown)

    page = operator.open("operations")
    change_all_triggers(page, "enable")
    assert pg_trigger_states(demo) == dict.fromkeys(TRIGGERS, "O")
    for path in PAGES:
        assert banner(operator, path) == "", path

    page = operator.open("runbook")
    header, *entries = table_rows(page.locator("[data-testid=stTable]").last)
    actions = [dict(zip(header, entry, strict=True)) for entry in entries]
    named = ", ".join(sorted(TRIGGERS, key=OWNER_TRIGGERS.index))
    assert [
        (a["actor"], a["identified by"], a["via"], a["action"], a["outcome"], a["what"]) for a in actions
    ] == [
        (OPERATOR, "proxy", "console", f"{change} triggers", outcome, f"triggers: {named}")
        for change in ("enable", "disable")  # newest first
        for outcome in ("succeeded", "started")
    ]
    assert all(entry[0].endswith(" UTC") for entry in entries)  # the one time format
    assert operator.problems(page) == []


def test_writes_during_the_rollback_are_reconciled_by_the_next_run_and_verify_passes(operator, demo):
    page = operator.open("operations")
    change_all_triggers(page, "disable")
    with demo.begin() as connection:
        # The rolled-back code re-points one account to a name nobody has.
        row = connection.execute(
            text("SELECT min(id) FROM crm_accounts WHERE owner_user_id IS NOT NULL")
        ).scalar()
        connection.execute(
            text("UPDATE crm_accounts SET owner_username = 'left.the.company' WHERE id = :id"), {"id": row}
        )
    page = operator.open("operations")
    change_all_triggers(page, "enable")
    waiting = page.get_by_text("Written while the owner triggers were off: 1 row of crm_accounts.")
    waiting.wait_for()

    page.get_by_role("button", name="Verify now…").click()
    page.get_by_role("dialog").get_by_role("button", name="Start verify").click()
    page.get_by_text("verify run 1 drift").wait_for(timeout=60_000)

    page.get_by_role("button", name="Re-run backfill…").click()
    page.get_by_role("dialog").get_by_role("button", name="Start the backfill").click()
    assert wait_for_first_run_to_end(page, demo, 60) == "succeeded"
    with demo.connect() as connection:
        assert (
            connection.execute(text("SELECT rows_reconciled FROM migration_ops.backfill_runs")).scalar() == 1
        )

    page = operator.open("operations")
    assert page.get_by_text("Written while the owner triggers were off").count() == 0
    page.get_by_role("button", name="Verify now…").click()
    page.get_by_role("dialog").get_by_role("button", name="Start verify").click()
    page.get_by_text("verify run 2 passed").wait_for(timeout=60_000)
    with demo.connect() as connection:
        owner = connection.execute(
            text("SELECT owner_username, owner_user_id FROM crm_accounts WHERE id = :id"), {"id": row}
        ).one()
        logged = connection.execute(
            text(
                "SELECT reason FROM owner_backfill_errors "
                "WHERE entity_type = 'crm_accounts' AND entity_id = :id"
            ),
            {"id": row},
        ).scalar()
    assert tuple(owner) == ("left.the.company", None) and logged == "user_not_found"
    assert operator.problems(page) == []
