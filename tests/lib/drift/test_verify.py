"""Verify against the definition of drift in docs/design.md: each kind found and stored, what is not drift
passed over, a killed run resumed, one run at a time, and the CLI's exit statuses."""

import csv
import io

import pytest
from sqlalchemy import Connection, text

from lib.drift.verify import (
    Verify,
    drift_rows,
    last_verify,
    repair_drift,
    run_verify,
    write_drift_csv,
)
from lib.guard.identity import local_identity
from lib.jobs.job import VERIFY
from lib.jobs.runner import AlreadyRunning
from lib.jobs.runs import settle_dead_runs
from lib.jobs.settings import BatchSettings
from tests.support.cli import cli, url_of
from tests.support.crm import add_alias_in_sql, add_user, behind_the_triggers, insert_row, update_row
from tests.support.site import set_site_setting

SMALL = BatchSettings(batch_size=500)


def first_id(connection: Connection, table: str, where: str) -> int:
    return connection.execute(text(f"SELECT min(id) FROM {table} WHERE {where}")).scalar_one()


def found(engine) -> set[tuple[str, int, str]]:
    outcome = run_verify(engine, Verify(SMALL, "ops.lead", "cli"))
    with engine.connect() as connection:
        return {
            (row["table"], row["entity_id"], row["kind"]) for row in drift_rows(connection, outcome.run_id)
        }


def test_the_demo_after_its_backfill_has_no_drift(demo_db):
    outcome = run_verify(demo_db, Verify(SMALL, "ops.lead", "cli"))
    assert (outcome.status, outcome.drift_rows, outcome.resumed) == ("passed", 0, False)
    with demo_db.connect() as connection:
        run = last_verify(connection)
    assert run["status"] == "passed" and run["rows_scanned"] == 8_000 and run["by_kind"] == []


def test_each_kind_of_drift_is_found_and_stored_with_its_kind(demo_db):
    with demo_db.begin() as connection:
        resolved = "owner_user_id IS NOT NULL"
        unresolved = "id IN (SELECT entity_id FROM owner_backfill_errors WHERE entity_type = 'crm_accounts')"
        blank = first_id(connection, "crm_accounts", resolved)
        behind_the_triggers(
            connection, "UPDATE crm_accounts SET owner_username = '' WHERE id = :id", id=blank
        )
        stale = first_id(connection, "crm_accounts", f"{resolved} AND id > {blank}")
        behind_the_triggers(
            connection, "UPDATE crm_accounts SET owner_username = 'x' WHERE id = :id", id=stale
        )
        unlogged = first_id(connection, "crm_accounts", unresolved)
        connection.execute(text("DELETE FROM owner_backfill_errors WHERE entity_id = :id"), {"id": unlogged})
        stale_error = first_id(connection, "crm_accounts", f"{unresolved} AND id > {unlogged}")
        connection.execute(
            text("UPDATE owner_backfill_errors SET owner_username = 'other' WHERE entity_id = :id"),
            {"id": stale_error},
        )
        stray = first_id(connection, "crm_accounts", f"{resolved} AND id > {stale}")
        connection.execute(
            text(
                "INSERT INTO owner_backfill_errors (entity_type, entity_id, owner_username, reason) "
                "VALUES ('crm_accounts', :id, 'x', 'user_not_found'), "
                "('crm_accounts', 999999, 'y', 'user_not_found')"
            ),
            {"id": stray},
        )
        resolvable = insert_row(connection, "crm_opportunities", owner_username="joins.next.week")
        add_user(connection, "joins.next.week")

    assert found(demo_db) == {
        ("crm_accounts", blank, "id_without_username"),
        ("crm_accounts", stale, "stale_id"),
        ("crm_accounts", unlogged, "missing_error_row"),
        ("crm_accounts", stale_error, "stale_error_row"),
        ("crm_accounts", stray, "stray_error_row"),
        ("crm_accounts", 999999, "stray_error_row"),
        ("crm_opportunities", resolvable, "resolvable_without_id"),
    }


def test_renames_case_variants_and_aliases_are_not_drift(demo_db):
    with demo_db.begin() as connection:
        user = add_user(connection, "ann")
        by_name = insert_row(connection, "crm_accounts", owner_username="ann")
        by_case = insert_row(connection, "crm_accounts", owner_username="ANN")
    with demo_db.begin() as connection:
        # A user created later with the exact name does not take the case variant's row.
        add_user(connection, "ANN")
        connection.execute(text("UPDATE app_users SET username = 'ann.smith' WHERE id = :id"), {"id": user})
        add_alias_in_sql(connection, "a.s.", user)
        by_alias = insert_row(connection, "crm_accounts", owner_user_id=user)
        behind_the_triggers(
            connection, "UPDATE crm_accounts SET owner_username = 'a.s.' WHERE id = :id", id=by_alias
        )
        owners = connection.execute(
            text("SELECT owner_user_id FROM crm_accounts WHERE id = ANY (:ids)"), {"ids": [by_name, by_case]}
        ).scalars()
        assert set(owners) == {user}

    assert found(demo_db) == set()


def test_a_row_whose_username_is_exactly_another_users_is_shadowed(demo_db):
    """The probe's case: a row written behind the triggers with a case variant's id while a user
    has exactly its username. By the rule's step 2 it is that user's: drift, which the repair
    hands to them."""
    with demo_db.begin() as connection:
        variant = add_user(connection, "ann")
        exact = add_user(connection, "ANN")
    with demo_db.begin() as connection:
        by_case = insert_row(connection, "crm_accounts", owner_username="nobody")
        behind_the_triggers(
            connection,
            "UPDATE crm_accounts SET owner_username = 'ANN', owner_user_id = :variant WHERE id = :id",
            variant=variant,
            id=by_case,
        )
    assert found(demo_db) == {("crm_accounts", by_case, "shadowed_id")}
    with demo_db.begin() as connection:
        repair_drift(connection, SMALL)
        owner = connection.execute(
            text("SELECT owner_user_id FROM crm_accounts WHERE id = :id"), {"id": by_case}
        )
        assert owner.scalar_one() == exact
    assert found(demo_db) == set()


def test_a_killed_verify_is_resumed_from_its_last_batch(demo_db):
    with demo_db.begin() as connection:
        row = first_id(connection, "crm_opportunities", "owner_user_id IS NOT NULL")
        update_row(connection, "crm_opportunities", row, owner_username="x")
        behind_the_triggers(
            connection, "UPDATE crm_opportunities SET owner_user_id = 1 WHERE id = :id", id=row
        )

    def killed_after_three_batches(progress):
        if progress.scanned >= 3 * SMALL.batch_size:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_verify(demo_db, Verify(SMALL, "ops.lead", "cli", on_progress=killed_after_three_batches))
    with demo_db.connect() as connection:
        assert last_verify(connection)["status"] == "running"
    settle_dead_runs(demo_db, VERIFY)  # as the console does: no verify holds the lock
    with demo_db.connect() as connection:
        assert last_verify(connection)["status"] == "interrupted"

    outcome = run_verify(demo_db, Verify(SMALL, "ops.lead", "cli"))

    assert outcome.resumed and outcome.status == "drift" and outcome.drift_rows == 1
    with demo_db.connect() as connection:
        assert last_verify(connection)["rows_scanned"] == 8_000
    fresh = run_verify(demo_db, Verify(SMALL, "ops.lead", "cli", fresh=True))
    assert not fresh.resumed and fresh.run_id != outcome.run_id and fresh.drift_rows == 1


def test_a_resumed_verify_finds_drift_written_behind_its_scan(demo_db):
    """The probe's case: killed most of the way through, resumed after rows it had already read
    drifted. Its last pass re-reads what changed since it began, so it cannot pass."""

    def killed_after_three_batches(progress):
        if progress.scanned >= 3 * SMALL.batch_size:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_verify(demo_db, Verify(SMALL, "ops.lead", "cli", on_progress=killed_after_three_batches))
    with demo_db.begin() as connection:
        row = first_id(connection, "crm_accounts", "owner_user_id IS NOT NULL")  # read by batch 1
        behind_the_triggers(connection, "UPDATE crm_accounts SET owner_user_id = NULL WHERE id = :id", id=row)
    settle_dead_runs(demo_db, VERIFY)

    outcome = run_verify(demo_db, Verify(SMALL, "ops.lead", "cli"))

    assert outcome.resumed and outcome.status == "drift"
    with demo_db.connect() as connection:
        assert {(r["table"], r["entity_id"]) for r in drift_rows(connection, outcome.run_id)} == {
            ("crm_accounts", row)
        }


@pytest.mark.slow
def test_a_second_verify_beside_a_running_one_is_refused(demo_db):
    with VERIFY.lock(demo_db, wait_ms=0) as held:
        assert held
        with pytest.raises(AlreadyRunning):
            run_verify(demo_db, Verify(SMALL, "ops.lead", "cli"))


def test_the_drifting_rows_export_as_csv(demo_db):
    with demo_db.begin() as connection:
        row = first_id(connection, "crm_accounts", "owner_user_id IS NOT NULL")
        behind_the_triggers(
            connection, "UPDATE crm_accounts SET owner_username = '=cmd()' WHERE id = :id", id=row
        )
    outcome = run_verify(demo_db, Verify(SMALL, "ops.lead", "cli"))
    out = io.BytesIO()
    with demo_db.connect() as connection:
        assert write_drift_csv(connection, outcome.run_id, out) == 1
    header, line = list(csv.reader(io.StringIO(out.getvalue().decode())))
    assert header[:3] == ["table", "entity_id", "kind"]
    assert line[:4] == ["crm_accounts", str(row), "stale_id", "'=cmd()"]


@pytest.mark.slow
def test_the_cli_exits_0_without_drift_1_with_drift_and_2_when_it_cannot_run(demo_db, monkeypatch):
    url = url_of(demo_db)
    assert cli("verify", database_url=url).returncode == 2  # a viewer may not verify
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    passed = cli("verify", "--batch-size", "1000", database_url=url)
    assert passed.returncode == 0, passed.stderr
    assert "passed, 0 drifting rows" in passed.stdout
    with demo_db.begin() as connection:
        row = first_id(connection, "crm_accounts", "owner_user_id IS NOT NULL")
        behind_the_triggers(connection, "UPDATE crm_accounts SET owner_username = 'x' WHERE id = :id", id=row)
    drift = cli("verify", database_url=url)
    assert drift.returncode == 1, drift.stderr
    assert "drift, 1 drifting row\n" in drift.stdout and "stale_id" in drift.stdout
    with VERIFY.lock(demo_db, wait_ms=0):
        busy = cli("verify", database_url=url)
    assert busy.returncode == 2 and busy.stderr.startswith("error: A verify is already running")
    assert cli("verify", "--batch-size", "0", database_url=url).returncode == 2
