"""Every page in a laptop's window (1280 px wide): nothing shortened or scrolling sideways, no
chart that Vega had to redraw its own way, and the filters and states a person needs in sight."""

import pytest

from lib.aliases.store import ProposedAlias
from lib.aliases.suggestions import unresolved_names
from lib.guard.actions import add_aliases
from lib.guard.identity import Identity
from lib.registry import MIGRATED_TABLES, OWNER_TRIGGERS, REASONS
from tests.support.console import OPERATOR, PAGES, cut_off, table_rows
from tests.support.site import set_site_setting


@pytest.mark.parametrize("path", PAGES)
def test_nothing_on_a_page_is_cut_off_in_a_laptops_window(operator, path):
    page = operator.open(path)
    if path == "remediation":  # the background job's suggestions, once it has them
        page.get_by_text("unresolved usernames, as computed").wait_for(timeout=60_000)
    assert page.viewport_size["width"] == 1280
    assert cut_off(page) == []
    assert operator.problems(page) == []


def test_every_reason_and_table_can_be_chosen_in_full_on_unresolved(operator):
    page = operator.open("unresolved")
    for option in (*MIGRATED_TABLES, *REASONS):
        pill = page.get_by_role("button", name=option, exact=True)
        assert pill.is_visible() and pill.inner_text() == option


def test_each_trigger_shows_its_state_beside_an_unticked_control_and_no_change_is_preset(operator):
    page = operator.open("operations")
    for name in OWNER_TRIGGERS:
        tick = page.get_by_role("checkbox", name=name, exact=True)
        row = page.locator("[data-testid=stHorizontalBlock]").filter(has=tick)
        assert not tick.is_checked() and "enabled" in row.inner_text(), row.inner_text()
    # Every trigger is enabled: disabling is the only change on offer, and it is not chosen.
    radios = page.get_by_role("radiogroup", name="Change").get_by_role("radio")
    assert radios.count() == 1 and radios.and_(page.get_by_role("radio", name="disable")).count() == 1
    assert not radios.is_checked()
    assert page.get_by_role("button", name="Change the triggers").is_disabled()


def test_the_aliases_table_fits_a_laptops_window_with_every_column(operator, demo):
    set_site_setting("OWNER_CONSOLE_OPERATORS", OPERATOR)
    with demo.connect() as connection:
        names = [name for name in unresolved_names(connection) if name.suggestion()][:3]
    proposals = [ProposedAlias(name.legacy_username, name.suggestion().username) for name in names]
    note = "reviewed with the sales operations team against the 2026 territory plan, ticket OPS-4711"
    added = add_aliases(demo, Identity(OPERATOR, "proxy"), proposals, "review", note)
    assert len(added.check.accepted) == len(names) == 3
    page = operator.open("remediation")
    page.get_by_role("tab", name="Aliases").click()
    table = page.locator("[data-testid=stTable]").filter(has_text=names[0].legacy_username)
    table.wait_for()
    header = table_rows(table)[0]
    assert header[1:] == ["user", *(f"{table} rows" for table in MIGRATED_TABLES), "approved", "note"]
    assert cut_off(page) == []
    assert operator.problems(page) == []
