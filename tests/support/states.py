"""What an action would change, the owner triggers' states, and the Operations steps that switch
all of them: shared by the browser journeys of identity and roles."""

from sqlalchemy import text

from tests.support.console import wait_until_rendered

TRIGGERS = {
    "crm_accounts_owner_sync_guard",
    "crm_accounts_owner_log_guard",
    "crm_opportunities_owner_sync_guard",
    "crm_opportunities_owner_log_guard",
}


def database_state(demo) -> tuple:
    """What an action would change: runs, trigger states, owner ids, and the audit log."""
    with demo.connect() as connection:
        return connection.execute(
            text("""
                SELECT (SELECT count(*) FROM migration_ops.backfill_runs),
                       (SELECT string_agg(tgname::text || tgenabled::text, ',' ORDER BY tgname)
                        FROM pg_trigger WHERE tgname LIKE '%owner%guard'),
                       (SELECT count(owner_user_id) FROM crm_accounts),
                       (SELECT count(owner_user_id) FROM crm_opportunities),
                       (SELECT count(*) FROM migration_ops.audit_log)
            """)
        ).one()


def pg_trigger_states(demo) -> dict[str, str]:
    with demo.connect() as connection:
        rows = connection.execute(
            text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgname = ANY(:names)"),
            {"names": sorted(TRIGGERS)},
        )
        return {name: state for name, state in rows}


def change_all_triggers(page, change: str) -> None:
    """Choose `change`, which ticks every trigger it applies to, type the confirmation, and apply
    it; then the form is back to no change chosen, offering only the change that now makes sense."""
    phrase = f"{change} 4 triggers"
    radios = page.get_by_role("radiogroup", name="Change")
    assert not any(radio.is_checked() for radio in radios.get_by_role("radio").all()), "a change is preset"
    radios.get_by_text(change, exact=True).click()
    confirmation = page.get_by_label(f'Type "{phrase}" to confirm')
    confirmation.wait_for()
    wait_until_rendered(page)
    for name in TRIGGERS:
        assert page.get_by_role("checkbox", name=name, exact=True).is_checked(), name
    confirmation.fill(phrase)
    confirmation.press("Enter")
    page.get_by_role("button", name=phrase.capitalize()).click()
    page.get_by_text(f"Done: {phrase}.").wait_for()
    wait_until_rendered(page)
    undo = {"disable": "enable", "enable": "disable"}[change]
    offered = radios.get_by_role("radio")
    assert offered.count() == 1 and radios.get_by_role("radio", name=undo, exact=True).count() == 1
    assert not offered.is_checked()
    assert not any(page.get_by_role("checkbox", name=name, exact=True).is_checked() for name in TRIGGERS)
    assert page.get_by_label("Choose a change and triggers to confirm").input_value() == ""
