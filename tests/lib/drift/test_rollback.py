"""The playbook's rollback, as an ops lead does it: the four owner triggers disabled by hand, a
legacy client writing owner_username only, the triggers enabled again, the backfill run. Each
kind of legacy write ends as if the triggers had never been off: the same rows, ids and error
rows as in a twin database that took the same write with its triggers on."""

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, text

from lib.backfill.task import run_backfill
from lib.coverage.counts import scanned_coverage, table_coverage
from lib.drift.verify import Verify, run_verify
from lib.drift.waiting import writes_waiting
from lib.guard.triggers import rollback_sql
from lib.jobs.settings import BatchSettings
from tests.support.crm import insert_row, owner_state, update_row
from tests.support.database import DEMO_TEMPLATE, clone

SMALL = BatchSettings(batch_size=500)
TABLE = "crm_accounts"


def resolved_row(connection: Connection) -> tuple[int, int]:
    """A resolved account (its id, its owner's id)."""
    return connection.execute(
        text(f"SELECT id, owner_user_id FROM {TABLE} WHERE owner_user_id IS NOT NULL ORDER BY id LIMIT 1")
    ).one()


def another_user(connection: Connection, user_id: int) -> str:
    return connection.execute(
        text("SELECT username FROM app_users WHERE id <> :id AND username ~ '^[a-z.]+$' ORDER BY id LIMIT 1"),
        {"id": user_id},
    ).scalar_one()


def to_known_user(connection: Connection) -> None:
    row, owner = resolved_row(connection)
    update_row(connection, TABLE, row, owner_username=another_user(connection, owner))


def to_unknown_user(connection: Connection) -> None:
    update_row(connection, TABLE, resolved_row(connection)[0], owner_username="left.the.company")


def to_case_variant(connection: Connection) -> None:
    row, owner = resolved_row(connection)
    update_row(connection, TABLE, row, owner_username=another_user(connection, owner).upper())


def to_blank(connection: Connection) -> None:
    update_row(connection, TABLE, resolved_row(connection)[0], owner_username="   ")


def an_insert(connection: Connection) -> None:
    owner = resolved_row(connection)[1]
    insert_row(connection, TABLE, owner_username=another_user(connection, owner))


LEGACY_WRITES: dict[str, Callable[[Connection], None]] = {
    "to a known user": to_known_user,
    "to an unknown user": to_unknown_user,
    "to a case variant": to_case_variant,
    "to a blank owner": to_blank,
    "an insert": an_insert,
}


@pytest.fixture
def twin_db(server_url):
    """A second clone of the demo, to take the same writes with the triggers on."""
    yield from clone(server_url, DEMO_TEMPLATE)


@pytest.mark.parametrize("write", LEGACY_WRITES)
def test_a_legacy_write_while_the_triggers_are_off_ends_as_if_they_had_been_on(demo_db, twin_db, write):
    with twin_db.begin() as connection:
        LEGACY_WRITES[write](connection)
    run_backfill(twin_db, SMALL, "ops.lead", "cli")

    with demo_db.begin() as connection:
        connection.exec_driver_sql(rollback_sql("DISABLE"))
        LEGACY_WRITES[write](connection)
        connection.exec_driver_sql(rollback_sql("ENABLE"))
    with demo_db.connect() as connection:
        assert sum(writes_waiting(connection).values()) == 1
    assert run_verify(demo_db, Verify(SMALL, "ops.lead", "cli")).status == "drift"

    outcome = run_backfill(demo_db, SMALL, "ops.lead", "cli")

    assert outcome.rows_reconciled == 1
    assert owner_state(demo_db) == owner_state(twin_db)
    with demo_db.connect() as connection:
        assert writes_waiting(connection) == dict.fromkeys(writes_waiting(connection), 0)
        assert table_coverage(connection) == scanned_coverage(connection)
    assert run_verify(demo_db, Verify(SMALL, "ops.lead", "cli")).status == "passed"


def test_an_id_write_while_the_triggers_are_off_keeps_the_id_and_gets_the_canonical_username(demo_db):
    with demo_db.begin() as connection:
        row, owner = resolved_row(connection)
        new_owner = connection.execute(
            text("SELECT id, username FROM app_users WHERE id <> :id ORDER BY id LIMIT 1"), {"id": owner}
        ).one()
        connection.exec_driver_sql(rollback_sql("DISABLE"))
        update_row(connection, TABLE, row, owner_user_id=new_owner.id)
        connection.exec_driver_sql(rollback_sql("ENABLE"))

    run_backfill(demo_db, SMALL, "ops.lead", "cli")

    owners = {entry.id: entry for entry in owner_state(demo_db)[0][TABLE]}
    assert (owners[row].owner_username, owners[row].owner_user_id) == (new_owner.username, new_owner.id)


def test_a_row_deleted_while_the_log_trigger_is_off_takes_its_error_row_along(demo_db):
    # An opportunity: an account that has some cannot go.
    table = "crm_opportunities"
    with demo_db.begin() as connection:
        row = connection.execute(
            text("SELECT entity_id FROM owner_backfill_errors WHERE entity_type = :t ORDER BY 1 LIMIT 1"),
            {"t": table},
        ).scalar_one()
        connection.exec_driver_sql(rollback_sql("DISABLE"))
        connection.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": row})
        assert not connection.execute(
            text("SELECT 1 FROM owner_backfill_errors WHERE entity_type = :t AND entity_id = :id"),
            {"t": table, "id": row},
        ).all()
        connection.exec_driver_sql(rollback_sql("ENABLE"))

    assert run_verify(demo_db, Verify(SMALL, "ops.lead", "cli")).status == "passed"


def test_a_row_written_again_with_the_triggers_on_is_left_as_that_write_made_it(demo_db):
    with demo_db.begin() as connection:
        row, owner = resolved_row(connection)
        connection.exec_driver_sql(rollback_sql("DISABLE"))
        update_row(connection, TABLE, row, owner_username="left.the.company")
        connection.exec_driver_sql(rollback_sql("ENABLE"))
        name = another_user(connection, owner)
        update_row(connection, TABLE, row, owner_username=name)
        expected = connection.execute(
            text(f"SELECT owner_username, owner_user_id FROM {TABLE} WHERE id = :id"), {"id": row}
        ).one()

    assert run_backfill(demo_db, SMALL, "ops.lead", "cli").rows_reconciled == 1

    owners = {entry.id: entry for entry in owner_state(demo_db)[0][TABLE]}
    assert (owners[row].owner_username, owners[row].owner_user_id) == tuple(expected)
    assert run_verify(demo_db, Verify(SMALL, "ops.lead", "cli")).status == "passed"


def test_writes_with_the_triggers_on_are_not_remembered(demo_db):
    with demo_db.begin() as connection:
        to_known_user(connection)
        an_insert(connection)
        connection.exec_driver_sql(rollback_sql("DISABLE"))
        connection.exec_driver_sql(rollback_sql("ENABLE"))
    with demo_db.connect() as connection:
        assert sum(writes_waiting(connection).values()) == 0


def test_only_the_sync_trigger_off_is_enough_to_remember_a_write(demo_db):
    with demo_db.begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_owner_log_guard")
        to_unknown_user(connection)
        connection.exec_driver_sql(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_owner_log_guard")
        assert writes_waiting(connection)[TABLE] == 1
