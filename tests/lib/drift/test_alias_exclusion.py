"""Alias changes and backfill batches never interleave: the race in which an alias was removed
while a batch waited on a row lock, made deterministic with a writer that holds the lock."""

import threading

from sqlalchemy import text

from lib.aliases.store import Alias, remove_aliases, write_aliases
from lib.drift.verify import Verify, run_verify
from lib.jobs.settings import BatchSettings
from tests.support.crm import add_user, error_rows, insert_row, owner_of
from tests.support.polling import wait_for


def waiting(engine, locktype: str) -> bool:
    """Whether a backend of this database waits on a lock of `locktype`."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) > 0 FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid "
                "WHERE l.locktype = :locktype AND NOT l.granted AND a.datname = current_database()"
            ),
            {"locktype": locktype},
        ).scalar_one()


def aliased_rows(db) -> list[int]:
    """Five accounts of the legacy name `legacy.five`, unresolved, which an alias maps to a user."""
    with db.begin() as connection:
        user = add_user(connection, "real.name")
        rows = [insert_row(connection, "crm_accounts", owner_username="legacy.five") for _ in range(5)]
        write_aliases(connection, [Alias("legacy.five", user, "real.name")], "lead", "cli", "")
    return rows


def test_an_alias_removed_while_a_batch_waits_on_a_row_lock_counts_the_rows_the_batch_resolved(db):
    rows = aliased_rows(db)

    writer = db.connect()
    writer.execute(text("UPDATE crm_accounts SET name = 'held' WHERE id = :id"), {"id": rows[2]})

    def batch() -> None:
        with db.begin() as connection:
            connection.execute(text("SELECT * FROM backfill_owner_batch('crm_accounts', NULL, 1000)"))

    removals = []

    def removal() -> None:
        with db.begin() as connection:
            removals.extend(remove_aliases(connection, ["legacy.five"], apply=True))

    batch_thread = threading.Thread(target=batch)
    batch_thread.start()
    wait_for(lambda: waiting(db, "transactionid"), "the batch to wait on the writer's row lock")
    removal_thread = threading.Thread(target=removal)
    removal_thread.start()
    wait_for(lambda: waiting(db, "advisory"), "the removal to wait for the batch")
    writer.commit()
    writer.close()
    batch_thread.join(30)
    removal_thread.join(30)

    [removed] = removals
    assert removed.rows["crm_accounts"] == 5 and removed.unresolved["crm_accounts"] == 5
    with db.connect() as connection:
        assert {owner_of(connection, "crm_accounts", row) for row in rows} == {("legacy.five", None)}
        assert {key for key, (_, reason) in error_rows(connection).items() if reason == "user_not_found"} == {
            ("crm_accounts", row) for row in rows
        }
    assert run_verify(db, Verify(BatchSettings(), "lead", "cli")).status == "passed"


def test_a_batch_started_while_an_alias_is_removed_waits_and_resolves_without_it(db):
    rows = aliased_rows(db)

    remover = db.connect()
    [removed] = remove_aliases(remover, ["legacy.five"], apply=True)
    results = []

    def batch() -> None:
        with db.begin() as connection:
            results.append(
                connection.execute(
                    text("SELECT * FROM backfill_owner_batch('crm_accounts', NULL, 1000)")
                ).one()
            )

    batch_thread = threading.Thread(target=batch)
    batch_thread.start()
    wait_for(lambda: waiting(db, "advisory"), "the batch to wait for the removal")
    remover.commit()
    remover.close()
    batch_thread.join(30)

    assert removed.rows["crm_accounts"] == 0
    assert results[0].resolved == 0 and results[0].unresolved == 5
    with db.connect() as connection:
        assert {owner_of(connection, "crm_accounts", row) for row in rows} == {("legacy.five", None)}
