"""Legacy writers (docs/design.md, The finish line): each session that writes an owner field is
recorded by path, per table, application_name and role, once a minute, by the database itself;
nothing else is."""

import os
import subprocess
import sys

from sqlalchemy import create_engine, text

from lib.backfill.task import run_backfill
from lib.coverage.snapshots import take_due_snapshots
from lib.db.settings import PROJECT_ROOT
from lib.finish.writers import owner_writers
from lib.guard.identity import local_identity
from lib.jobs.settings import BatchSettings
from tests.support.cli import cli, url_of
from tests.support.crm import add_user, insert_row, owner_triggers_off, unfill, update_row
from tests.support.site import set_site_setting


def as_application(engine, name: str):
    """A client of its own application_name (the console's engines all say owner-console)."""
    return create_engine(engine.url, connect_args={"application_name": name})


def counts(engine) -> dict[tuple[str, str], tuple[int, int]]:
    with engine.connect() as connection:
        return {
            (row["entity_type"], row["application_name"]): (row["legacy_writes"], row["new_writes"])
            for row in owner_writers(connection, days=7)
        }


def test_a_psql_session_writing_owner_username_appears_as_a_legacy_writer(demo_db):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)  # psql is an operator's
    psql = subprocess.run(
        [sys.executable, "-m", "lib.cli", "psql", "-X", "-v", "ON_ERROR_STOP=1",
         "-c", "UPDATE crm_accounts SET owner_username = 'rosa.chen' WHERE id IN (10, 11)",
         "-c", "INSERT INTO crm_accounts (name, owner_username) VALUES ('new', 'nobody.at.all')"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": url_of(demo_db), "PGAPPNAME": "legacy-api"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert psql.returncode == 0, psql.stderr
    # One session: one record for each minute its two transactions started in.
    [(where, (legacy, new))] = counts(demo_db).items()
    assert where == ("crm_accounts", "legacy-api") and legacy in (1, 2) and new == 0

    result = cli("writers", database_url=url_of(demo_db))
    assert result.returncode == 0, result.stderr
    [row] = [line.split() for line in result.stdout.splitlines()[1:]]
    assert row[1:6] == ["crm_accounts", "legacy-api", row[3], str(legacy), "0"]


def test_each_path_is_recorded_by_what_the_client_wrote_once_a_minute(demo_db):
    legacy, new = as_application(demo_db, "legacy-api"), as_application(demo_db, "crm-v2")
    with legacy.begin() as connection:
        user = add_user(connection, "Zed.Example")
        # A legacy write of a canonical name is still a legacy write.
        update_row(connection, "crm_opportunities", 1, owner_username="Zed.Example")
        insert_row(connection, "crm_opportunities", owner_username="zed.example")
    with new.begin() as connection:
        update_row(connection, "crm_opportunities", 2, owner_user_id=user)
        update_row(connection, "crm_opportunities", 3, owner_user_id=None)
        insert_row(connection, "crm_accounts", owner_user_id=user, owner_username="ignored")
    # Not owner writes: another column, the same username again, a write rolled back.
    with new.begin() as connection:
        update_row(connection, "crm_opportunities", 4, name="renamed")
        connection.execute(text("UPDATE crm_opportunities SET owner_username = owner_username WHERE id = 5"))
    with legacy.connect() as connection:
        update_row(connection, "crm_opportunities", 6, owner_username="rolled.back")
        connection.rollback()
    # Two writes of one path by one session in one minute are one record.
    assert counts(demo_db) == {
        ("crm_opportunities", "legacy-api"): (1, 0),
        ("crm_opportunities", "crm-v2"): (0, 1),
        # The insert of a parent account for the opportunity names no owner; this one names an id.
        ("crm_accounts", "crm-v2"): (0, 1),
    }
    legacy.dispose()
    new.dispose()


def test_writes_while_the_sync_trigger_is_off_are_counted_and_backfills_are_not(demo_db):
    legacy = as_application(demo_db, "legacy-api")
    with legacy.begin() as connection, owner_triggers_off(connection, "crm_accounts"):
        update_row(connection, "crm_accounts", 10, owner_username="rosa.chen")
        update_row(connection, "crm_accounts", 12, owner_user_id=1)
    with demo_db.begin() as connection:
        unfill(connection, "crm_opportunities")
    assert run_backfill(demo_db, BatchSettings(), "ops.lead", "cli").status == "succeeded"
    assert counts(demo_db) == {("crm_accounts", "legacy-api"): (1, 1)}
    legacy.dispose()


def test_folding_keeps_the_counts_and_the_last_seen(demo_db):
    for row_id in (10, 11, 12):  # three sessions of one application: three records
        legacy = as_application(demo_db, "legacy-api")
        with legacy.begin() as connection:
            update_row(connection, "crm_accounts", row_id, owner_username="rosa.chen")
        legacy.dispose()
    with demo_db.connect() as connection:
        before = owner_writers(connection, days=1)
        raw = connection.execute(text("SELECT count(*) FROM migration_ops.owner_writers")).scalar_one()
        take_due_snapshots(connection)  # folds the tallies with the coverage counts
        after = owner_writers(connection, days=1)
        folded = connection.execute(text("SELECT count(*) FROM migration_ops.owner_writers")).scalar_one()
    assert (raw, folded) == (3, 1)
    assert after == before
