"""Text from the database is shown as text on every page, never as markdown or HTML: legacy
usernames, an alias note and the messages that quote them. Each hostile name would be a link, an
image, formatting or a colour if rendered; the images and links point at a port that counts every
request a browser makes to it."""

import csv
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from playwright.sync_api import Page
from sqlalchemy import text

from lib.aliases.store import ProposedAlias
from lib.guard.actions import add_aliases
from lib.guard.identity import Identity
from lib.text import WORD_JOINER
from tests.support.console import OPERATOR, PAGES, choose_option
from tests.support.site import set_site_setting


class Requests(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Requests.seen.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def trap() -> Iterator[int]:
    """The port that hostile links and images point at; Requests.seen lists what reached it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Requests)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()


def hostile_names(port: int) -> list[str]:
    return [
        "**x**",
        f"[a](http://127.0.0.1:{port}/link)",
        f"![i](http://127.0.0.1:{port}/image)",
        ":red[x]",
        "`tick` and ```fence```",
        f"<img src=x onerror=\"fetch('http://127.0.0.1:{port}/html')\">",
        f"http://127.0.0.1:{port}/bare",
        ":material/warning: _y_ ~z~ $e=mc^2$",
    ]


@pytest.fixture(scope="module")
def hostile(demo, trap) -> list[str]:
    """Accounts owned by each hostile name, and the first mapped by an alias with a hostile note."""
    names = hostile_names(trap)
    with demo.begin() as connection:
        connection.execute(text("INSERT INTO app_users (username) VALUES ('hostile.target')"))
        for name in names:
            connection.execute(
                text("INSERT INTO crm_accounts (name, owner_username) VALUES ('Hostile', :name)"),
                {"name": name},
            )
    set_site_setting("OWNER_CONSOLE_OPERATORS", OPERATOR)
    add_aliases(
        demo,
        Identity(OPERATOR, "proxy"),
        [ProposedAlias(names[1], username="hostile.target")],
        "review",
        f"**annotated** ![n](http://127.0.0.1:{trap}/note)",
        [],
    )
    return names


def assert_shown_as_text(page: Page, names: list[str], port: int) -> None:
    rendered = page.locator("[data-testid=stMarkdownContainer]")
    assert rendered.locator(f"a[href*=':{port}'], img, [src*=':{port}']").count() == 0
    formatted = rendered.locator("strong, em, del, code, span[style*=color]").all_inner_texts()
    assert not {"x", "y", "z", "tick", "annotated"} & set(formatted), formatted
    assert page.locator(f"[src*=':{port}'], [href*=':{port}']").count() == 0


def test_every_page_shows_hostile_usernames_as_text(operator, hostile, trap):
    for path in PAGES:
        page = operator.open(path)
        assert_shown_as_text(page, hostile, trap)
        page.close()
    assert Requests.seen == []


def test_the_import_rejections_quote_hostile_usernames_verbatim(operator, hostile, trap):
    upload = io.StringIO()
    csv.writer(upload).writerows(
        [("legacy_username", "username"), *((name, "hostile.target") for name in hostile * 2)]
    )
    page = operator.open("remediation")
    page.get_by_role("tab", name="Import a CSV").click()
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
        files=[{"name": "hostile.csv", "mimeType": "text/csv", "buffer": upload.getvalue().encode()}]
    )
    page.get_by_role("button", name="Preview the import…").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("[data-testid=stAlertContentWarning]").first.wait_for()
    warnings = "\n".join(dialog.locator("[data-testid=stAlertContentWarning]").all_inner_texts())
    warnings = warnings.replace(WORD_JOINER, "")  # invisible; it keeps URLs from becoming links
    # The second line of each name is refused as a duplicate, and the refusal quotes it (repr).
    for name in hostile:
        assert repr(name) in warnings, (name, warnings)
    assert_shown_as_text(page, hostile, trap)
    assert Requests.seen == []


def test_the_removal_preview_quotes_a_hostile_alias_verbatim(operator, hostile, trap):
    aliased = hostile[1]
    page = operator.open("remediation")
    page.get_by_role("tab", name="Aliases").click()
    choose_option(page, "Aliases to remove", aliased)
    page.get_by_text(f"{aliased}: back to unresolved".replace("http", "http" + WORD_JOINER)).wait_for()
    assert_shown_as_text(page, hostile, trap)
    assert Requests.seen == []
