"""A console served by `streamlit run` on a free port behind nginx, as docs/deployment.md deploys it, and
headless Chromium to look at it.

Shared by the browser tests and by the README screenshots, so that both see the same product.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Locator, Page, WebSocket, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import Engine, text
from streamlit.proto.BackMsg_pb2 import BackMsg

from lib import registry
from lib.db.settings import PROJECT_ROOT, SITE_FILE_SETTING
from lib.guard.identity import PROXY_SECRET_SETTING
from lib.text import WORD_JOINER
from tests.support.proxy import free_ports, running_proxy
from tests.support.site import write_site_file

CHROMIUM = Path("/usr/bin/chromium")
# As root, and with no network but the registries: no sandbox, no background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# url path -> page title; the default page is served at the root.
PAGES = {("" if page is registry.PAGES[0] else page.name): page.title for page in registry.PAGES}
STARTUP_SECONDS = 60
# Identities arrive in the header that nginx sets; only OPERATOR is configured to act. ANONYMOUS
# comes through a server block whose authentication established nobody.
IDENTITY_HEADER = "X-Forwarded-User"
OPERATOR = "ops.lead@example.com"
VIEWER = "analyst@example.com"
ANONYMOUS = "anonymous"
IDENTITY_ENV = {"OWNER_CONSOLE_IDENTITY_HEADER": IDENTITY_HEADER}
# The console's site file: who may act. running_console adds the proxy secret it gives nginx.
OPERATOR_SITE = {"OWNER_CONSOLE_OPERATORS": OPERATOR}
# Streamlit's own signals: connected, the script finished, no element still a skeleton.
RENDERED = "[data-testid=stApp][data-test-connection-state=CONNECTED][data-test-script-state=notRunning]"


@dataclass(frozen=True)
class Console:
    """Where a running console answers: `direct` is Streamlit itself, `via[name]` the nginx server
    block of each identity (OPERATOR, VIEWER, ANONYMOUS, and proxy.DOUBLED)."""

    direct: str
    via: dict[str, str]
    log: Path  # what Streamlit printed, for a failing test's report


@contextmanager
def running_console(
    database_url: str | None,
    auth: Mapping[str, str] | None = None,
    site: Mapping[str, str] = OPERATOR_SITE,
    identities: Mapping[str, str] | None = None,
    **env: str,
) -> Iterator[Console]:
    """Serve the console on DATABASE_URL (None: its embedded database), with `env` added to its
    environment and `site` in its site file, behind nginx; yields once Streamlit's health check
    answers through the proxy. Streamlit's address is the project's own setting
    (.streamlit/config.toml), as in production. With `auth`, the console's secrets have that
    [auth] section, whose redirect_uri is the proxy's ANONYMOUS server block. `identities` adds
    server blocks ({name: the identity it sets}) to those of OPERATOR, VIEWER and ANONYMOUS."""
    [port] = free_ports(1)
    identities = {OPERATOR: OPERATOR, VIEWER: VIEWER, ANONYMOUS: "", **(identities or {})}
    secret = secrets.token_hex(32)
    with (
        running_proxy(port, identities, secret) as via,
        tempfile.TemporaryDirectory(prefix="owner-console-") as folder,
        open(Path(folder) / "streamlit.log", "w") as log,
    ):
        site_file = write_site_file(Path(folder) / "site.toml", {**site, PROXY_SECRET_SETTING: secret})
        options = []
        if auth is not None:
            auth_file = Path(folder) / "secrets.toml"
            section = {**auth, "redirect_uri": f"{via[ANONYMOUS]}/oauth2callback"}
            # A JSON string is a TOML basic string.
            auth_file.write_text("[auth]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in section.items()))
            options = ["--secrets.files", str(auth_file)]
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), *options],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DATABASE_URL": database_url or "", SITE_FILE_SETTING: str(site_file), **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_health(via[ANONYMOUS], process, Path(log.name))
            yield Console(f"http://127.0.0.1:{port}", via, Path(log.name))
        finally:
            process.terminate()
            process.wait(timeout=30)


def sidebar_text(page: Page) -> str:
    """The sidebar's text as a person reads it: without the invisible word joiners that keep an
    e-mail address or a URL in a name from becoming a link."""
    return page.locator("[data-testid=stSidebarUserContent]").inner_text().replace(WORD_JOINER, "")


def wait_for_sidebar_text(page: Page, text: str) -> None:
    """Until the sidebar reads `text`, as sidebar_text() reads it."""
    page.wait_for_function(
        """text => (document.querySelector('[data-testid=stSidebarUserContent]')?.innerText ?? '')
                   .replaceAll('\\u2060', '').includes(text)""",
        arg=text,
    )


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Visitor:
    """One person in one browser context, through the proxy's server block for their identity, in
    a laptop's window unless told; every uncaught script error and chart warning on their pages is
    kept for `problems()`."""

    def __init__(self, browser: Browser, console: Console, name: str, height: int = 900, width: int = 1280):
        self.base, self.name = console.via[name], name
        self.context: BrowserContext = browser.new_context(
            viewport={"width": width, "height": height},
            accept_downloads=True,
        )
        self.script_errors: list[str] = []
        self.chart_warnings: list[str] = []
        self.script_runs: dict[Page, ScriptRuns] = {}  # the reruns each opened page asked for

    def open(self, path: str) -> Page:
        """A fresh page at /path, returned once Streamlit says it has finished rendering."""
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        # Vega says so when it had to change a chart's spec to draw it (a squashed chart, say).
        page.on(
            "console",
            lambda message: message.text.startswith("WARN ") and self.chart_warnings.append(message.text),
        )
        self.script_runs[page] = ScriptRuns(page)
        page.goto(f"{self.base}/{path}")
        wait_until_rendered(page)
        return page

    def problems(self, page: Page) -> list[str]:
        """What a person would see as broken on `page`: no router, an error, an exception."""
        found = [f"script error: {error}" for error in self.script_errors]
        found += [f"chart warning: {warning}" for warning in self.chart_warnings]
        if page.get_by_text("Page not found").count():
            found.append("Page not found")
        # Run through app.py's router: the sidebar lists the pages by title and names the database.
        navigation = set(page.locator("[data-testid=stSidebarNav]").inner_text().split("\n"))
        if not set(PAGES.values()) <= navigation or "app" in navigation:
            found.append(f"navigation is {sorted(navigation)}, not the router's")
        sidebar = sidebar_text(page)
        if "Database" not in sidebar or self.name not in sidebar:
            found.append(f"the sidebar does not name the database and {self.name}: {sidebar!r}")
        found += page.locator("[data-testid=stException]").all_inner_texts()
        found += page.locator("[data-testid=stAlertContentError]").all_inner_texts()
        found += page.get_by_role("dialog").all_inner_texts()
        return found

    def close(self) -> None:
        self.context.close()


# Text that the page shortens with an ellipsis, and tables that scroll sideways: what a person
# cannot read without hovering or scrolling. Streamlit and its grid shorten text by CSS, so the
# check is the DOM's: an element whose content is wider than its box.
_CUT_OFF = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  const wider = (element) => element.scrollWidth > element.clientWidth + 1;
  const found = [];
  for (const element of main.querySelectorAll('*')) {
    const style = getComputedStyle(element);
    const leaf = !element.children.length;
    const clipped = style.textOverflow === 'ellipsis' || (style.overflowX !== 'visible' && leaf);
    if (clipped && wider(element) && element.innerText) {
      found.push(`shortened: ${element.innerText.trim()}`);
    }
  }
  for (const grid of main.querySelectorAll('[data-testid=stDataFrame] .dvn-scroller')) {
    if (grid.checkVisibility() && wider(grid)) {
      const frame = grid.closest('[data-testid=stDataFrame]');
      const header = [...frame.querySelectorAll('table [role=columnheader]')].map(c => c.innerText.trim());
      const by = `${grid.scrollWidth - grid.clientWidth} px`;
      found.push(`scrolls sideways by ${by}: the table of ${header.join(', ')}`);
    }
  }
  return found;
}"""


def cut_off(page: Page) -> list[str]:
    """What `page` shows only in part at its window's width: shortened text, sideways scrolling."""
    return page.evaluate(_CUT_OFF)


def wait_until_rendered(page: Page) -> None:
    page.wait_for_selector(f"{RENDERED} h1", timeout=STARTUP_SECONDS * 1000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=stSkeleton], [data-stale=true]')"
        f" && document.querySelector('{RENDERED}')"
    )


def choose_option(page: Page, label: str, option: str, timeout_seconds: float = 30) -> None:
    """Types `option` into the multiselect labelled `label` and picks it. A rerun of the page while
    it is typed (a fragment's refresh that redraws the page) clears the field, so it is typed again
    until the option shows."""
    field = page.locator("[data-testid=stMultiSelect]").filter(has_text=label)
    choice = page.get_by_role("option", name=option, exact=True)
    deadline = time.monotonic() + timeout_seconds
    while True:
        wait_until_rendered(page)
        # In the middle of the window, so that its options open in sight.
        field.evaluate("element => element.scrollIntoView({block: 'center'})")
        field.get_by_role("combobox").fill(option)
        try:
            choice.click(timeout=3000)
            break
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise
    page.keyboard.press("Escape")
    wait_until_rendered(page)


ENDED_RUN_BADGE = re.compile(r"last run 1 ([a-z]+)")


def wait_for_first_run_to_end(page: Page, database: Engine, timeout_seconds: float) -> str:
    """The status the Operations page's badge gives the first backfill run once it has ended. If it
    has not ended in time, the failure says where the runs table has it."""
    try:
        ended = page.get_by_text(ENDED_RUN_BADGE)
        ended.wait_for(timeout=timeout_seconds * 1000)
    except PlaywrightTimeout:
        with database.connect() as connection:
            runs = connection.execute(text("SELECT * FROM migration_ops.backfill_runs")).mappings().all()
        badges = page.locator("[data-testid=stBadge], [data-testid=stAlert]").all_inner_texts()
        failure = f"no run ended in {timeout_seconds} s; the page shows {badges}; runs: {runs}"
        raise AssertionError(failure) from None
    return ENDED_RUN_BADGE.search(ended.inner_text()).group(1)


class ScriptRuns:
    """The script runs a page asks its server for, read from the BackMsg frames the browser sends
    on Streamlit's websocket: a whole-page rerun, or a rerun of one fragment."""

    def __init__(self, page: Page):
        self.full: list[bool] = []  # one entry per rerun asked for by a person: True for the whole page
        page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        socket.on("framesent", self._read)

    def _read(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        message = BackMsg.FromString(payload)
        if message.WhichOneof("type") == "rerun_script" and not message.rerun_script.is_auto_rerun:
            self.full.append(not message.rerun_script.fragment_id)

    def whole_page(self) -> int:
        return sum(self.full)


def grid_rows(frame: Locator) -> list[list[str]]:
    """The header and rows of an st.dataframe as text, from the accessible table that its grid
    keeps for the cells in view."""
    # The grid fills its table once it is on screen. A refreshing fragment may redraw the frame
    # at any moment, so this scrolls in one call rather than waiting for it to hold still.
    frame.evaluate("element => element.scrollIntoView({block: 'center'})")
    frame.locator("table [role=row]").first.wait_for(state="attached")
    rows = frame.locator("table [role=row]").evaluate_all(
        "rows => rows.map(row => [...row.children].map(cell => cell.innerText.trim()))"
    )
    return [row for row in rows if any(row)]  # an empty frame shows one blank row


def table_rows(table: Locator) -> list[list[str]]:
    """The header and rows of an st.table as text, its index first, without the invisible word
    joiners that keep e-mail addresses and URLs from becoming links."""
    rows = table.locator("tr").evaluate_all(
        "rows => rows.map(row => [...row.children].map(cell => cell.innerText.trim()))"
    )
    return [[cell.replace(WORD_JOINER, "") for cell in row] for row in rows]


def _wait_for_health(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)  # polling the server's own readiness endpoint
    raise RuntimeError(f"streamlit did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")
