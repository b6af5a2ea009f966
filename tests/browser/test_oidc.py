"""Sign-in with OpenID Connect (st.login), in Chromium, against a real provider on localhost
(oidc-provider-mock): an operator's e-mail acts, a viewer's cannot, and signed out sees nothing.
The console sits behind the recipe's nginx, in a server block that sets no identity header."""

import secrets
from collections.abc import Iterator

import pytest
from oidc_provider_mock import run_server_in_thread
from playwright.sync_api import Browser, Page

from tests.support.console import (
    ANONYMOUS,
    OPERATOR,
    VIEWER,
    Console,
    running_console,
    sidebar_text,
    wait_for_sidebar_text,
    wait_until_rendered,
)
from tests.support.states import change_all_triggers, database_state, pg_trigger_states

SIGN_IN = "Sign in to use the owner migration console."


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The provider's issuer URL."""
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def console(demo, provider) -> Iterator[Console]:
    auth = {
        "cookie_secret": secrets.token_hex(32),
        "client_id": "owner-console",
        "client_secret": secrets.token_hex(16),
        "server_metadata_url": f"{provider}/.well-known/openid-configuration",
    }
    # The proxy header is configured too: with [auth], the login alone decides.
    environment = {"OWNER_CONSOLE_IDENTITY_HEADER": "X-Forwarded-User"}
    with running_console(demo.url.render_as_string(hide_password=False), auth, **environment) as console:
        yield console


def signed_out_page(browser: Browser, console: Console, path: str = "") -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{console.via[ANONYMOUS]}/{path}")
    wait_until_rendered(page)
    return page


def assert_at_the_sign_in_page(page: Page) -> None:
    assert page.locator("h1").inner_text() == "Owner migration console"
    assert page.get_by_text(SIGN_IN).is_visible()
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert page.locator("[data-testid=stSidebar]").count() == 0
    assert "crm_accounts" not in page.locator("[data-testid=stMain]").inner_text()


def sign_in(page: Page, email: str) -> None:
    """Through the provider's own authorization form, back to the console."""
    page.get_by_role("button", name="Sign in").click()
    page.get_by_placeholder("sub").fill(email)  # the provider makes the subject its e-mail claim
    page.get_by_role("button", name="Authorize").click()
    wait_until_rendered(page)
    wait_for_sidebar_text(page, f"{email} (oidc)")


def test_signed_out_visitors_see_only_the_sign_in_page(browser, console, demo):
    before = database_state(demo)
    for path in ("", "operations", "unresolved"):
        page = signed_out_page(browser, console, path)
        assert_at_the_sign_in_page(page)
        page.context.close()
    assert database_state(demo) == before


def test_an_operator_signs_in_acts_and_signs_out(browser, console, demo):
    page = signed_out_page(browser, console)
    sign_in(page, OPERATOR)
    assert f"{OPERATOR} (oidc), operator" in sidebar_text(page)

    page.goto(f"{console.via[ANONYMOUS]}/operations")
    wait_until_rendered(page)
    change_all_triggers(page, "disable")
    assert set(pg_trigger_states(demo).values()) == {"D"}

    page.get_by_role("button", name="Sign out").click()
    # The provider ends its session too, and sends the browser back.
    page.get_by_role("button", name="End session").click()
    page.goto(console.via[ANONYMOUS])
    wait_until_rendered(page)
    assert_at_the_sign_in_page(page)
    page.context.close()


def test_a_viewer_signs_in_and_cannot_act(browser, console, demo):
    page = signed_out_page(browser, console)
    sign_in(page, VIEWER)
    assert f"{VIEWER} (oidc), viewer" in sidebar_text(page)
    page.goto(f"{console.via[ANONYMOUS]}/operations")
    wait_until_rendered(page)
    assert page.get_by_role("button", name="Change the triggers").is_disabled()
    assert page.get_by_text("is a viewer: actions are for operators").count() >= 1
    page.context.close()
