"""Identity through the deployment recipe (DESIGN §7), on a console configured as the security review
found it: a proxy header, and the server's own OS user listed as a local operator (for cron).
Whoever arrives without exactly one header value sees a refusal naming it, no data, and no action."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from lib.guard.identity import local_identity
from tests.browser.console import (
    ANONYMOUS,
    IDENTITY_ENV,
    IDENTITY_HEADER,
    OPERATOR,
    PAGES,
    VIEWER,
    Console,
    running_console,
    wait_until_rendered,
)
from tests.browser.proxy import DOUBLED
from tests.browser.test_incident_rollback import change_all_triggers, pg_trigger_states
from tests.browser.test_viewer import database_state


@pytest.fixture(scope="module")
def console(demo) -> Iterator[Console]:
    environment = dict(IDENTITY_ENV, OWNER_CONSOLE_LOCAL_OPERATORS=local_identity().name)
    with running_console(demo.url.render_as_string(hide_password=False), **environment) as console:
        yield console


def open_at(browser: Browser, base: str, path: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{base}/{path}")
    wait_until_rendered(page)
    return page


def assert_refused(page: Page, found: str) -> None:
    """The refusal names the header and what was wrong with it; nothing else is drawn."""
    assert page.locator("h1").inner_text() == "Owner migration console"
    refusal = page.locator("[data-testid=stAlertContentError]").inner_text()
    assert f"the {IDENTITY_HEADER} header" in refusal and f"it {found}." in refusal, refusal
    assert page.locator("[data-testid=stSidebar]").count() == 0
    assert (
        page.locator("[data-testid=stButton], [data-testid=stDataFrame], [data-testid=stMetric]").count() == 0
    )
    shown = page.locator("[data-testid=stMain]").inner_text()
    assert "crm_accounts" not in shown and "operator" not in shown


@pytest.mark.parametrize(
    ("entrance", "found"),
    [("streamlit directly", "is missing"), (ANONYMOUS, "is missing"), (DOUBLED, "arrived 2 times")],
)
def test_a_visitor_without_exactly_one_identity_header_gets_a_refusal_and_no_data(
    browser, console, demo, entrance, found
):
    base = console.direct if entrance == "streamlit directly" else console.via[entrance]
    before = database_state(demo)
    for path in PAGES:
        page = open_at(browser, base, path)
        assert_refused(page, found)
        page.context.close()
    assert database_state(demo) == before


def test_through_the_proxy_the_operator_acts_and_the_viewer_cannot(browser, console, demo):
    viewer = open_at(browser, console.via[VIEWER], "operations")
    assert f"{VIEWER} (proxy), viewer" in viewer.locator("[data-testid=stSidebarUserContent]").inner_text()
    assert viewer.get_by_role("button", name="Change the triggers").is_disabled()
    viewer.context.close()

    operator = open_at(browser, console.via[OPERATOR], "operations")
    assert (
        f"{OPERATOR} (proxy), operator" in operator.locator("[data-testid=stSidebarUserContent]").inner_text()
    )
    change_all_triggers(operator, "disable")
    assert set(pg_trigger_states(demo).values()) == {"D"}
    operator.context.close()


def test_streamlit_listens_on_the_loopback_address_only(console):
    port = int(console.direct.rsplit(":", 1)[1])
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, local_port = local.rsplit(":", 1)
            if state == "0A" and int(local_port, 16) == port:  # 0A: LISTEN
                listening.add(address)
    loopback = socket.inet_aton("127.0.0.1")[::-1].hex().upper()  # /proc stores it little-endian
    assert listening == {loopback}
