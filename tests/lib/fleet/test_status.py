"""The fleet's status, read from real member databases: each member as its own console shows it,
the rollup as the playbook's step-3 query summed over the members, and a member that cannot be read
as one sentence while the others are read."""

import json

from sqlalchemy import text

from lib.coverage.counts import resolved_pct, scanned_coverage
from lib.fleet.members import load_fleet
from lib.fleet.status import fleet_status
from lib.registry import MIGRATED_TABLES
from tests.support.cli import cli, url_of
from tests.support.crm import insert_row
from tests.support.fleet import NOWHERE, fleet_file


def test_the_rollup_is_the_step_3_query_summed_over_the_members(tmp_path, demo_db, db):
    with db.begin() as connection:
        for username in ("nobody", "ghost", "ghost"):
            insert_row(connection, "crm_accounts", owner_username=username)
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0), ("us-1", url_of(db), 1))
    status = fleet_status(load_fleet(path))
    assert [member.reachable for member in status.members] == [True, True]
    assert status.same_databases() == []
    scanned = {}
    for engine in (demo_db, db):
        with engine.connect() as connection:
            for coverage in scanned_coverage(connection):
                total, resolved = scanned.get(coverage.table, (0, 0))
                scanned[coverage.table] = (total + coverage.total_legacy, resolved + coverage.resolved_fk)
    assert [(row.table, row.total_legacy, row.resolved_fk) for row in status.rollup] == [
        (table, *scanned[table]) for table in MIGRATED_TABLES
    ]
    # Sums of counts, not an average of the two members' percentages.
    accounts = status.rollup[0]
    assert accounts.resolved_pct == resolved_pct(*scanned["crm_accounts"])
    assert status.members[1].tables[0].resolved_pct == 0


def test_a_member_that_cannot_be_read_is_one_sentence_and_the_others_are_read(tmp_path, demo_db, monkeypatch):
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0), ("eu-2", NOWHERE, 1))
    status = fleet_status(load_fleet(path))
    assert [member.reachable for member in status.members] == [True, False]
    assert status.members[1].problem.startswith("Cannot connect to ")
    assert status.rollup == status.members[0].tables
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    result = cli("fleet", "status", "--format", "json", database_url=url_of(demo_db))
    assert result.returncode == 2
    shown = json.loads(result.stdout)
    assert [(member["name"], member["reachable"]) for member in shown["members"]] == [
        ("eu-1", True),
        ("eu-2", False),
    ]
    assert shown["rollup"]["tables"] == shown["members"][0]["tables"]
    assert result.stderr.startswith(f"error: member eu-2 (line 6 of {path}): Cannot connect to ")
    assert len(result.stderr.splitlines()) == 1


def test_two_members_that_are_one_database_are_refused(tmp_path, demo_db, monkeypatch):
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0), ("eu-1-again", url_of(demo_db), 1))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    result = cli("fleet", "status", database_url=url_of(demo_db))
    assert result.returncode == 2
    assert (
        "members eu-1 (line 1) and eu-1-again (line 6)" in result.stderr and "one database" in result.stderr
    )


def test_a_member_before_the_migration_shows_its_revision_and_no_coverage(
    tmp_path, empty_db, demo_db, monkeypatch
):
    with empty_db.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0037_crm_baseline')"))
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0), ("old", url_of(empty_db), 1))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    result = cli("fleet", "status", "--format", "json", database_url=url_of(demo_db))
    assert result.returncode == 0, result.stderr
    old = json.loads(result.stdout)["members"][1]
    assert (old["reachable"], old["revision"], old["tables"]) == (True, "0037_crm_baseline", {})


def test_without_a_fleet_the_command_says_how_to_configure_one(demo_db, monkeypatch):
    monkeypatch.delenv("OWNER_CONSOLE_FLEET", raising=False)
    result = cli("fleet", "status", database_url=url_of(demo_db))
    assert result.returncode == 2
    assert (
        result.stderr
        == "error: No fleet is configured: name its file in OWNER_CONSOLE_FLEET, or as fleet_file.\n"
    )
