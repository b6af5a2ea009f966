"""Identity through the deployment recipe, on a console configured as the security review found
it: a proxy header, and the server's own OS user listed as a local operator (for cron). Whoever
arrives without exactly one header value, exactly as the proxy set it, or without the proxy's
secret, sees a refusal, no data, and no action."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from lib.guard.identity import local_identity
from tests.support.console import (
    ANONYMOUS,
    IDENTITY_ENV,
    IDENTITY_HEADER,
    OPERATOR,
    OPERATOR_SITE,
    PAGES,
    VIEWER,
    Console,
    running_console,
    sidebar_text,
    wait_until_rendered,
)
from tests.support.proxy import DOUBLED
from tests.support.states import change_all_triggers, database_state, pg_trigger_states

# Server blocks whose authentication established these names.
PADDED = "padded"  # the operator's name behind a no-break space, which HTTP does not strip
NON_ASCII = "josé.garcía@example.com"
MARKDOWN = "[ops](http://127.0.0.1:9/link) **bold** ![i](http://127.0.0.1:9/image.png)"
EXTRA_IDENTITIES = {PADDED: "\u00a0" + OPERATOR, NON_ASCII: NON_ASCII, MARKDOWN: MARKDOWN}


@pytest.fixture(scope="module")
def console(demo) -> Iterator[Console]:
    site = dict(OPERATOR_SITE, OWNER_CONSOLE_LOCAL_OPERATORS=local_identity().name)
    with running_console(
        demo.url.render_as_string(hide_password=False), site=site, identities=EXTRA_IDENTITIES, **IDENTITY_ENV
    ) as console:
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
    [(ANONYMOUS, "is missing"), (DOUBLED, "arrived 2 times")],
)
def test_a_visitor_without_exactly_one_identity_header_gets_a_refusal_and_no_data(
    browser, console, demo, entrance, found
):
    base = console.via[entrance]
    before = database_state(demo)
    for path in PAGES:
        page = open_at(browser, base, path)
        assert_refused(page, found)
        page.context.close()
    assert database_state(demo) == before


@pytest.mark.parametrize("claimed", [None, OPERATOR, f"  {OPERATOR}\t"])
def test_an_identity_header_sent_straight_to_streamlit_is_refused(browser, console, demo, claimed):
    """Anything on the host reaches Streamlit's loopback port, and may send any header it likes:
    without the proxy's secret, it is nobody."""
    before = database_state(demo)
    context = browser.new_context(extra_http_headers={IDENTITY_HEADER: claimed} if claimed else None)
    for path in ("", "operations"):
        page = context.new_page()
        page.goto(f"{console.direct}/{path}")
        wait_until_rendered(page)
        refusal = page.locator("[data-testid=stAlertContentError]").inner_text()
        assert "did not come through the console's proxy" in refusal, refusal
        assert page.locator("[data-testid=stSidebar]").count() == 0
        assert page.locator("[data-testid=stButton]").count() == 0
    context.close()
    assert database_state(demo) == before


def test_a_padded_name_from_the_proxy_is_refused_not_trimmed_into_an_operator(browser, console):
    page = open_at(browser, console.via[PADDED], "operations")
    assert_refused(page, "arrived padded with whitespace or with characters that are not text")
    page.context.close()


def test_names_show_as_the_proxy_sent_them_as_plain_text(browser, console):
    """A name beyond ASCII arrives whole; a name that looks like markdown stays text: no link, no
    formatting, no image that the browser would fetch."""
    page = open_at(browser, console.via[NON_ASCII], "")
    assert f"{NON_ASCII} (proxy), viewer" in sidebar_text(page)
    page.context.close()

    fetched = []
    page = browser.new_context().new_page()
    page.on("request", lambda request: fetched.append(request.url) if ":9/" in request.url else None)
    page.goto(f"{console.via[MARKDOWN]}/")
    wait_until_rendered(page)
    sidebar = page.locator("[data-testid=stSidebarUserContent]")
    assert f"{MARKDOWN} (proxy), viewer" in sidebar_text(page)
    assert sidebar.locator("a[href*=':9/'], img").count() == 0
    assert "bold" not in sidebar.locator("strong").all_inner_texts()
    assert fetched == []
    page.context.close()


def test_through_the_proxy_the_operator_acts_and_the_viewer_cannot(browser, console, demo):
    viewer = open_at(browser, console.via[VIEWER], "operations")
    assert f"{VIEWER} (proxy), viewer" in sidebar_text(viewer)
    assert viewer.get_by_role("button", name="Change the triggers").is_disabled()
    viewer.context.close()

    operator = open_at(browser, console.via[OPERATOR], "operations")
    assert f"{OPERATOR} (proxy), operator" in sidebar_text(operator)
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
