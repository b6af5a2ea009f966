"""The contract migration's downgrade killed with SIGKILL at random points, and timed out behind a
long reader: each time the database is either still contracted or fully restored, `alembic current`
agrees, and every index is valid; so the one command that continues is always the downgrade again.

A kill point is a place the downgrade can be held: the test takes a lock that its next statement
needs, waits until the downgrade's backend waits on it, kills the process there, and only then
lets go. Random moments between the process's start and its end fill in the rest.
"""

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import Connection, Engine, text

from lib.db.schema import CONTRACT_REVISION, head_revision
from lib.db.settings import PROJECT_ROOT
from lib.guard.identity import local_identity
from lib.registry import MIGRATED_TABLES
from tests.support.cli import url_of
from tests.support.contract import contract, definitions, read_views
from tests.support.faults import backend_pid, record, waiting_on
from tests.support.polling import wait_for
from tests.support.site import set_site_setting

KILLS = 12
ALEMBIC = [sys.executable, "-m", "alembic", "-n", "contract"]
# What the test holds, and so where the downgrade stops.
HOLDS = {
    "adding the first column back": "LOCK TABLE crm_accounts IN ACCESS SHARE MODE",
    "adding the second column back": "LOCK TABLE crm_opportunities IN ACCESS SHARE MODE",
    "recounting the coverage": "SELECT 1 FROM migration_ops.coverage_counts FOR UPDATE",
    "dropping the kept definitions": "LOCK TABLE migration_ops.contract_dropped_objects IN ACCESS SHARE MODE",
    "dropping the archive": "LOCK TABLE migration_ops.owner_username_archive IN ACCESS SHARE MODE",
    "moving the version": "SELECT 1 FROM alembic_version FOR UPDATE",
}
AT_RANDOM = "a random moment"


def downgrade_process(engine: Engine) -> subprocess.Popen:
    return subprocess.Popen(
        [*ALEMBIC, "downgrade", "-1"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": url_of(engine)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def state(connection: Connection) -> str:
    """'contracted' or 'restored', after checking that the database is wholly one of them."""
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    columns = connection.execute(
        text("SELECT count(*) FROM information_schema.columns WHERE column_name = 'owner_username' "
             "AND table_name = ANY(:tables)"),
        {"tables": list(MIGRATED_TABLES)},
    ).scalar_one()  # fmt: skip
    kept = connection.execute(
        text("SELECT to_regclass('migration_ops.owner_username_archive') IS NOT NULL, "
             "to_regclass('migration_ops.contract_dropped_objects') IS NOT NULL")
    ).one()  # fmt: skip
    invalid = connection.execute(text("SELECT count(*) FROM pg_index WHERE NOT indisvalid")).scalar_one()
    assert invalid == 0
    if revision == CONTRACT_REVISION:
        assert (columns, tuple(kept)) == (0, (True, True))
        return "contracted"
    assert revision == head_revision()
    assert (columns, tuple(kept)) == (len(MIGRATED_TABLES), (False, False))
    return "restored"


def open_transactions(watcher: Connection) -> int:
    """Transactions open on the database, but the watcher's own; read afresh each call, since a
    transaction sees one snapshot of pg_stat_activity."""
    count = watcher.execute(
        text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
             "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")
    ).scalar_one()  # fmt: skip
    watcher.rollback()
    return count


def current(engine: Engine) -> str:
    result = subprocess.run(
        [*ALEMBIC, "current"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": url_of(engine)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.split()[0]


def test_the_downgrade_killed_anywhere_leaves_the_database_contracted_or_restored(demo_db, rng):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    with demo_db.connect() as connection:
        before = read_views(connection), definitions(connection)
        contract(connection, override="the kill test")
    started = time.monotonic()
    assert downgrade_process(demo_db).wait(timeout=120) == 0
    whole = time.monotonic() - started
    with demo_db.connect() as connection:
        assert state(connection) == "restored"
        assert (read_views(connection), definitions(connection)) == before
        contract(connection, override="the kill test")

    outcomes = {"contracted": 0, "restored": 0}
    kinds = [*HOLDS, *[AT_RANDOM] * (KILLS - len(HOLDS))]
    rng.shuffle(kinds)
    for kind in kinds:
        process = downgrade_process(demo_db)
        if kind == AT_RANDOM:
            time.sleep(rng.uniform(0, whole))  # the random moment itself is the point
            process.send_signal(signal.SIGKILL)
            process.wait()
        else:
            with demo_db.connect() as holder:
                holder.execute(text(HOLDS[kind]))
                pid = backend_pid(holder)
                with demo_db.connect() as watcher:
                    wait_for(lambda: waiting_on(watcher, pid) or process.poll() is not None, kind)  # noqa: B023
                    assert process.poll() is None, process.stderr.read()
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                holder.rollback()
        with demo_db.connect() as watcher:
            # The killed client's backend rolls back once it finds its client gone.
            wait_for(lambda: open_transactions(watcher) == 0, "the killed downgrade's transaction to end")
            found = state(watcher)
        outcomes[found] += 1
        assert current(demo_db) == (CONTRACT_REVISION if found == "contracted" else head_revision())
        if found == "restored":
            with demo_db.connect() as connection:
                assert (read_views(connection), definitions(connection)) == before
                contract(connection, override="the kill test")
    # The command that continues, from wherever the kills left it.
    assert downgrade_process(demo_db).wait(timeout=120) == 0
    with demo_db.connect() as connection:
        assert state(connection) == "restored"
        assert (read_views(connection), definitions(connection)) == before
    record("contract downgrade kills, each contracted or restored", f"{KILLS} of {KILLS} ({outcomes})")


def test_the_downgrade_timed_out_behind_a_long_reader_leaves_the_database_contracted(demo_db):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    with demo_db.connect() as connection:
        contract(connection, override="the lock timeout test")
    with demo_db.connect() as reader:
        reader.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        reader.execute(text("SELECT count(*) FROM crm_opportunities")).scalar_one()
        process = downgrade_process(demo_db)
        _, stderr = process.communicate(timeout=120)
        reader.rollback()
    assert process.returncode == 1
    assert "the migration failed and its transaction was rolled back" in stderr
    assert "lock timeout" in stderr
    with demo_db.connect() as connection:
        assert state(connection) == "contracted"
    assert current(demo_db) == CONTRACT_REVISION
