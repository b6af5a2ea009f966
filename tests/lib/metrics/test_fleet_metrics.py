"""`lib.cli metrics --fleet`: every member's series in one scrape, each labelled with its database,
equal to what the member's own metrics serve; a member that cannot be read has up 0 and no series
of the migration."""

import subprocess

from prometheus_client import generate_latest

from lib.finish.readiness import readiness_settings
from lib.fleet.members import load_fleet
from lib.jobs.throttle import ThrottleSettings
from lib.metrics.fleet import fleet_metrics_registry
from lib.metrics.server import metrics_registry
from tests.support.cli import url_of
from tests.support.crm import insert_row
from tests.support.fleet import NOWHERE, fleet_file
from tests.support.metrics import metrics_endpoint, samples, scrape

# Read afresh at each scrape; the rest of a member's series must be the same whichever way it is read.
MOMENTS = {"owner_migration_scrape_duration_seconds"}


def test_one_scrape_serves_every_members_series_labelled_with_its_database(tmp_path, demo_db, db):
    with db.begin() as connection:
        insert_row(connection, "crm_accounts", owner_username="ghost")
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0), ("us-1", url_of(db), 1), ("eu-2", NOWHERE, 1))
    settings = (ThrottleSettings(), readiness_settings({}))
    body = generate_latest(fleet_metrics_registry(load_fleet(path), *settings)).decode()
    checked = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    fleet = samples(body)
    for name, engine in (("eu-1", demo_db), ("us-1", db)):
        alone = samples(generate_latest(metrics_registry(engine, *settings)).decode())
        labelled = {
            (sample, frozenset((dict(labels) | {"database": name}).items())): value
            for (sample, labels), value in alone.items()
            if sample not in MOMENTS
        }
        assert {key: fleet[key] for key in labelled} == labelled
    down = {name: value for (name, labels), value in fleet.items() if ("database", "eu-2") in labels}
    assert set(down) == {"owner_migration_up", *MOMENTS} and down["owner_migration_up"] == 0
    assert all(dict(labels).get("database") for _, labels in fleet)


def test_the_command_serves_the_fleet_with_a_database_label(tmp_path, demo_db, monkeypatch):
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    with metrics_endpoint(demo_db, "--fleet") as url:
        found = samples(scrape(url))
    assert found[("owner_migration_up", frozenset({("database", "eu-1")}))] == 1
    assert ("owner_migration_up", frozenset()) not in found
