"""The console in headless Chromium, served by `streamlit run` on a fresh demo database."""

import csv
import io

import pytest
from sqlalchemy import text

from tests.browser.console import PAGES, chromium, open_page, running_console
from tests.conftest import DEMO_TEMPLATE, clone


@pytest.fixture(scope="module")
def demo(server_url):
    yield from clone(server_url, DEMO_TEMPLATE)


@pytest.fixture(scope="module")
def console(demo):
    """A freshly started server: nothing has been requested from it yet."""
    with running_console(demo.url.render_as_string(hide_password=False)) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def problems(page) -> list[str]:
    found = []
    if page.get_by_text("Page not found").count():
        found.append("Page not found")
    # Run through app.py's router: the sidebar lists the pages by title and names the database.
    navigation = {
        item.strip() for item in page.locator("[data-testid=stSidebarNav]").inner_text().split("\n")
    }
    if not set(PAGES.values()) <= navigation or "app" in navigation:
        found.append(f"navigation is {sorted(navigation)}, not the router's")
    if not page.locator("[data-testid=stSidebarUserContent]").get_by_text("Database").count():
        found.append("no database in the sidebar")
    found += page.locator("[data-testid=stException]").all_inner_texts()
    found += page.locator("[data-testid=stAlertContentError]").all_inner_texts()
    return found


def test_every_page_opens_first_by_deep_link_on_a_cold_server(console, browser):
    # The deep links come before the root: the server has never run the app when the first arrives.
    for path in [*sorted(path for path in PAGES if path), ""]:
        page = open_page(browser, f"{console}/{path}")
        try:
            assert page.locator("h1").first.inner_text() == PAGES[path]
            assert problems(page) == [], path
            assert page.url.rstrip("/") == f"{console}/{path}".rstrip("/")
        finally:
            page.close()


def test_a_disabled_trigger_shows_a_banner_on_every_page(console, browser, demo):
    with demo.begin() as connection:
        connection.execute(
            text("ALTER TABLE crm_opportunities DISABLE TRIGGER crm_opportunities_owner_sync_guard")
        )
    try:
        for path in PAGES:
            page = open_page(browser, f"{console}/{path}")
            try:
                banner = page.locator("[data-testid=stAlertContentWarning]").first.inner_text()
                assert "crm_opportunities_owner_sync_guard (disabled)" in banner, path
            finally:
                page.close()
    finally:
        with demo.begin() as connection:
            connection.execute(
                text("ALTER TABLE crm_opportunities ENABLE TRIGGER crm_opportunities_owner_sync_guard")
            )


def test_the_csv_download_holds_the_filtered_rows(console, browser, demo):
    page = open_page(browser, f"{console}/unresolved")
    try:
        page.locator("button[aria-label='Remove crm_opportunities']").last.click()
        page.get_by_label("Username contains").fill("=")
        page.get_by_label("Username contains").press("Enter")
        button = page.get_by_role("button", name="Download these")
        with demo.connect() as connection:
            expected = (
                connection.execute(
                    text(
                        "SELECT entity_id FROM owner_backfill_errors WHERE entity_type = 'crm_accounts' "
                        "AND strpos(owner_username, '=') > 0 ORDER BY entity_id"
                    )
                )
                .scalars()
                .all()
            )
        page.wait_for_function(
            f"() => document.body.innerText.includes('Download these {len(expected):,} rows as CSV')"
        )
        with page.expect_download() as download:
            button.click()
        rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"), newline="")))
    finally:
        page.close()
    assert expected and [int(row[1]) for row in rows[1:]] == expected
    assert all(row[3].startswith("'") for row in rows[1:] if row[3].startswith(("'=", "'+", "'-", "'@")))
    assert not any(row[3].startswith(("=", "+", "-", "@")) for row in rows[1:])
