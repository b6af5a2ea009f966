"""The console supervises its embedded PostgreSQL: stopped under it, the server is started again
by the console, and every open page recovers by itself; the console's SIGTERM then stops it.
The module runs its own data folder, so that stopping the server harms no other test."""

import os
import subprocess
import sys

from lib.db.settings import PROJECT_ROOT
from tests.browser.console import IDENTITY_ENV, OPERATOR, PAGES, Visitor, running_console
from tests.conftest import wait_for
from tests.faults.conftest import record
from tests.lib.test_embedded import stop_the_server

DATA_DIR = PROJECT_ROOT / ".data" / "pytest-embedded-console"
ERROR = "[data-testid=stAlertContentError]"


def server_running() -> bool:
    return (DATA_DIR / "postmaster.pid").exists()


def test_the_console_starts_its_stopped_database_again_and_every_page_recovers(browser):
    environment = {**IDENTITY_ENV, "OWNER_CONSOLE_DATA_DIR": str(DATA_DIR)}
    # A small demo, loaded by the CLI, which stops the server as it leaves.
    subprocess.run(
        [sys.executable, "-m", "lib.cli", "demo", "--replace", "--accounts", "400", "--opportunities", "800"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": "", **environment},
        check=True,
        capture_output=True,
    )
    assert not server_running()
    with running_console(None, **environment) as console:
        operator = Visitor(browser, console, OPERATOR)
        tabs = {path: operator.open(path) for path in PAGES}
        assert server_running()
        stop_the_server(DATA_DIR)
        for tab in tabs.values():
            tab.reload()
        for path, tab in tabs.items():
            # Without a reload: the page checks every few seconds, and the console restarts the server.
            tab.locator(ERROR).wait_for(state="detached", timeout=60_000)
            tab.locator("h1").first.wait_for()
            assert not operator.problems(tab), path
        assert server_running()
        operator.close()
    wait_for(lambda: not server_running(), "the console's SIGTERM to stop the server it started again")
    record("R4b embedded server stopped under the console", f"restarted by it; {len(tabs)} pages recovered")
