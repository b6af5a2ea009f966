"""Journey: the operator starts a rollout on the demo fleet from the Fleet page; the canary passes,
wave 1 runs (one member migrated from the baseline, one held by its drift), the page's rollup is
the playbook's step-3 SQL summed over the members, and its CSV holds every member's unresolved
rows as their SQL gives them. A worker of the task queue runs beside the console, as on a site."""

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from lib.db.database import create_engine_for
from lib.demo.fleet import build_demo_fleet
from lib.fleet.members import load_fleet
from lib.registry import MIGRATED_TABLES
from tests.browser.test_export import as_csv_cells
from tests.support.cli import url_of
from tests.support.console import (
    IDENTITY_ENV,
    OPERATOR,
    Visitor,
    grid_rows,
    running_console,
    wait_until_rendered,
)
from tests.support.database import SCHEMA_TEMPLATE, clone
from tests.support.fleet import fleet_worker
from tests.support.playbook import playbook_coverage
from tests.support.polling import wait_for

pytestmark = pytest.mark.operators(OPERATOR)
UNRESOLVED = """
    SELECT entity_type, entity_id, entity_name, owner_username, reason, first_seen_at::text,
           last_seen_at::text
    FROM migration_ops.unresolved_owner_rows
    ORDER BY entity_type, entity_id
"""


@pytest.fixture(scope="module")
def control(server_url) -> Iterator[Engine]:
    """The console's own database, a CRM at head as a site's is; the fleet's control tables go in it."""
    yield from clone(server_url, SCHEMA_TEMPLATE)


@pytest.fixture(scope="module")
def demo_fleet(fleet_servers, tmp_path_factory) -> Iterator[tuple[Path, dict[str, Engine]]]:
    """The demo fleet of four on the two servers beside the session's: its file and its members."""
    path = tmp_path_factory.mktemp("fleet") / "fleet.toml"
    build_demo_fleet(4, servers=fleet_servers[1:], fleet_file=path)
    engines = {member.name: create_engine_for(member.url()) for member in load_fleet(path)}
    yield path, engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(scope="module")
def console(control, demo_fleet):
    with running_console(url_of(control), OWNER_CONSOLE_FLEET=str(demo_fleet[0]), **IDENTITY_ENV) as console:
        yield console


def states(control) -> dict[str, str]:
    with control.connect() as connection:
        return dict(connection.execute(text("SELECT member, state FROM fleet_control.rollout_members")).all())


def test_the_operator_rolls_the_demo_fleet_out_from_the_canary_and_sees_the_fleet_as_its_sql_does(
    browser, console, control, demo_fleet
):
    _, engines = demo_fleet
    operator = Visitor(browser, console, OPERATOR, width=2400)  # every column of the fleet table in view
    with fleet_worker(url_of(control)):
        page = operator.open("")  # the Fleet page comes first
        soak = page.get_by_label("Soak after each member's steps (minutes)")
        soak.fill("0")
        soak.press("Enter")
        wait_until_rendered(page)
        page.get_by_role("button", name="Start a rollout").click()
        page.get_by_text("Wave 0, the canary (1 member, 1 at a time): passed.").wait_for(timeout=120_000)
        page.get_by_text(re.compile(r"Wave 1 \(2 members, 4 at a time\): running\.")).wait_for()
        # The behind member is migrated and passes; the drifting one is held at its verify gate.
        settled = {"demo-1": "passed", "demo-2": "gating", "demo-3": "passed", "demo-4": "waiting"}
        wait_for(lambda: states(control) == settled, "wave 1 to settle", timeout=120)
        page.get_by_text(re.compile(r"the gates of demo-2 \(verify: verify run \d+ found drift")).wait_for()

    summed = {table: [0, 0] for table in MIGRATED_TABLES}
    for engine in engines.values():
        with engine.connect() as connection:
            for table in MIGRATED_TABLES:
                total_legacy, resolved_fk, _ = playbook_coverage(connection, table)
                summed[table] = [summed[table][0] + total_legacy, summed[table][1] + resolved_fk]

    def rollup_shown() -> bool:
        header, *rows = grid_rows(page.locator("[data-testid=stDataFrame]").first)
        rollup = next(row for row in rows if row[0] == "fleet (sum)")
        shown = dict(zip(header, rollup, strict=True))
        return all(
            [int(shown[f"{table} owned"].replace(",", "")), int(shown[f"{table} resolved"].replace(",", ""))]
            == summed[table]
            for table in MIGRATED_TABLES
        )

    wait_for(rollup_shown, "the rollup to be the summed step-3 SQL", timeout=30)

    expected = []
    for name, engine in engines.items():
        with engine.connect() as connection:
            expected += [[name, *as_csv_cells(row)] for row in connection.execute(text(UNRESOLVED))]
    with page.expect_download() as download:
        page.get_by_role("button", name="Download every member's unresolved rows as CSV").click()
    with open(download.value.path(), encoding="utf-8", newline="") as exported:
        header, *rows = list(csv.reader(exported))
    assert header[0] == "database"
    assert rows == expected
    assert operator.problems(page) == []
    operator.close()
