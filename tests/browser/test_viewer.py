"""Journey 6: a viewer sees every page, and no action control works for them."""

from sqlalchemy import text

from lib.registry import OWNER_TRIGGERS
from tests.support.console import PAGES, VIEWER, sidebar_text
from tests.support.states import database_state

# Every control that acts, by page; the trigger control is on two pages.
ACTION_CONTROLS = {
    "remediation": ["Preview 0 mappings…"],
    "operations": ["Re-run backfill…", "Change the triggers"],
    "runbook": ["Change the triggers"],
}
TRIGGER_CONTROL_PAGES = {"operations", "runbook"}
TRIGGER_FIELDS = [
    *(("checkbox", name) for name in OWNER_TRIGGERS),
    ("radio", "disable"),  # the only change on offer while every trigger is enabled
    ("textbox", "Choose a change and triggers to confirm"),
]


def test_a_viewer_sees_every_page_and_cannot_act(viewer, demo):
    before = database_state(demo)
    for path, title in PAGES.items():
        page = viewer.open(path)
        assert page.locator("h1").first.inner_text() == title
        assert viewer.problems(page) == [], path
        assert f"{VIEWER} (proxy), viewer" in sidebar_text(page)
        for name in ACTION_CONTROLS.get(path, []):
            control = page.get_by_role("button", name=name)
            assert control.is_disabled(), (path, name)
            control.click(force=True)  # a determined click on a disabled control does nothing
        if path in ACTION_CONTROLS:
            assert page.get_by_text("is a viewer: actions are for operators").count() >= 1
        if path == "remediation":
            assert page.get_by_role("checkbox", name="Tick every filled-in suggestion").is_disabled()
        if path in TRIGGER_CONTROL_PAGES:
            for role, name in TRIGGER_FIELDS:
                assert page.get_by_role(role, name=name, exact=True).is_disabled(), (path, name)
        assert page.get_by_role("dialog").count() == 0
        page.close()
    assert database_state(demo) == before

    page = viewer.open("runbook")
    page.get_by_text("No entry matches these filters.").wait_for()
    with demo.connect() as connection:
        done_by_viewer = connection.execute(
            text(
                "SELECT count(*) FROM migration_ops.audit_log WHERE actor = :viewer AND outcome <> 'refused'"
            ),
            {"viewer": VIEWER},
        ).scalar_one()
    assert done_by_viewer == 0
