"""Journey 5: in an incident, the operator disables every owner trigger (the playbook's rollback
step 3), sees it everywhere, and later enables them again."""

from sqlalchemy import text

from tests.browser.console import OPERATOR, PAGES, grid_rows

TRIGGERS = {
    "crm_accounts_owner_sync_guard",
    "crm_accounts_owner_log_guard",
    "crm_opportunities_owner_sync_guard",
    "crm_opportunities_owner_log_guard",
}


def pg_trigger_states(demo) -> dict[str, str]:
    with demo.connect() as connection:
        rows = connection.execute(
            text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgname = ANY(:names)"),
            {"names": sorted(TRIGGERS)},
        )
        return {name: state for name, state in rows}


def change_all_triggers(page, change: str) -> None:
    """Choose `change` for the four triggers, type the confirmation, and apply it."""
    phrase = f"{change} 4 triggers"
    page.get_by_role("radiogroup", name="Change").get_by_text(change, exact=True).click()
    confirmation = page.get_by_label(f'Type "{phrase}" to confirm')
    confirmation.fill(phrase)
    confirmation.press("Enter")
    page.get_by_role("button", name=phrase.capitalize()).click()
    page.get_by_text(f"Done: {phrase}.").wait_for()


def banner(visitor, path: str) -> str:
    """The trigger warning at the top of the page at `path`, or "" when there is none."""
    page = visitor.open(path)
    warnings = page.locator("[data-testid=stAlertContentWarning]").filter(
        has_text="Owner triggers not enabled"
    )
    shown = warnings.inner_text() if warnings.count() else ""
    page.close()
    return shown


def test_an_operator_disables_and_enables_the_triggers_with_a_typed_confirmation(operator, demo):
    page = operator.open("operations")
    change_all_triggers(page, "disable")
    assert pg_trigger_states(demo) == dict.fromkeys(TRIGGERS, "D")
    for path in PAGES:
        shown = banner(operator, path)
        assert all(f"{name} (disabled)" in shown for name in TRIGGERS), (path, shown)

    page = operator.open("operations")
    change_all_triggers(page, "enable")
    assert pg_trigger_states(demo) == dict.fromkeys(TRIGGERS, "O")
    for path in PAGES:
        assert banner(operator, path) == "", path

    page = operator.open("runbook")
    header, *entries = grid_rows(page.locator("[data-testid=stDataFrame]").last)
    actions = [dict(zip(header, entry, strict=True)) for entry in entries]
    assert [(a["actor"], a["actor_source"], a["role"], a["action"], a["outcome"]) for a in actions] == [
        (OPERATOR, "proxy", "operator", "enable triggers", "succeeded"),
        (OPERATOR, "proxy", "operator", "disable triggers", "succeeded"),
    ]
    assert operator.problems(page) == []
