"""Throttling, pause and resume against real causes: a streaming standby whose replay is paused, an
old open transaction, a session queued for a table lock, a slow VACUUM on the table being filled,
and a health query that says no. Each holds the run and says why; once the cause is gone, the
run finishes."""

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from lib.backfill.task import RunOptions, run_backfill
from lib.errors import NothingToDo
from lib.guard.actions import steer_job
from lib.guard.audit import AuditFilter, audit_entries
from lib.guard.identity import Identity
from lib.jobs.settings import BatchSettings, RunSettingsError
from lib.jobs.throttle import ThrottleSettings, first_hold
from lib.jobs.tuning import Tuning
from tests.support.crm import cli_backfill, owner_state, state_after_a_clean_run
from tests.support.database import DEMO_TEMPLATE, clone
from tests.support.polling import wait_for
from tests.support.runs import run_row
from tests.support.standby import set_replay, streaming_standby

SMALL = BatchSettings(batch_size=500)
FIXED = Tuning(target_batch_ms=0)
OPERATOR = Identity("lead@example.com", "oidc")
LATEST_RUN = text("SELECT * FROM migration_ops.backfill_runs ORDER BY id DESC LIMIT 1")


pytestmark = pytest.mark.operators(OPERATOR.name)


def latest_run(engine):
    with engine.connect() as connection:
        return connection.execute(LATEST_RUN).one_or_none()


@contextmanager
def backfill_in_background(engine, throttle: ThrottleSettings, settings: BatchSettings = SMALL):
    """A run on a thread of this process; yields a dict that holds its outcome once it ends."""
    result = {}

    def run() -> None:
        options = RunOptions(throttle=throttle, tuning=FIXED)
        result["outcome"] = run_backfill(engine, settings, "ops.lead", "cli", options=options)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield result
    except BaseException:
        steer_job(engine, OPERATOR, "backfill", "cancel")
        raise
    finally:
        thread.join(timeout=60)
        assert not thread.is_alive(), "the run did not end"


def wait_until_held_by(engine, signal: str):
    wait_for(
        lambda: (run := latest_run(engine)) is not None and run.held_by == signal,
        f"the run to say it waits for {signal}",
    )
    return latest_run(engine)


@pytest.mark.slow
def test_a_paused_standby_holds_the_run_within_two_batches_and_it_finishes_once_replay_resumes(
    unfilled_db, server_url
):
    expected = state_after_a_clean_run(unfilled_db)
    with streaming_standby(server_url) as standby:
        # Only the standby may hold it: an autovacuum of the table after the hold would be the
        # last to hold the run, on a busy machine.
        process = cli_backfill(
            unfilled_db,
            *("--batch-size", "2000", "--pause-ms", "1000", "--max-replica-lag", "1"),
            "--no-hold-for-vacuum",
        )
        try:
            # Its first batch has committed; on a busy machine the standby may have held it a moment.
            line = process.stdout.readline()
            while "scanned" not in line:
                assert "waiting for replica_lag" in line, f"the run ended before its first batch: {line!r}"
                line = process.stdout.readline()
            set_replay(standby, paused=True)
            line = process.stdout.readline()
            while "waiting" not in line:
                assert "scanned" in line, f"the run ended without waiting: {line!r}"
                line = process.stdout.readline()
            assert "waiting for replica_lag: standby" in line and "(limit 1 s)" in line
            # The runner looks again each second and writes each time: 10 s of its own word.
            wait_for(
                lambda: (
                    (run := latest_run(unfilled_db)).held_by == "replica_lag"
                    and (run.heartbeat_at - run.held_since).total_seconds() >= 10
                ),
                "the run to have waited 10 s for the standby",
                timeout=30,
            )
            assert latest_run(unfilled_db).batches <= 1 + 2
            set_replay(standby, paused=False)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "succeeded" in stdout
    run = latest_run(unfilled_db)
    assert (run.status, run.held_by, run.last_held_by) == ("succeeded", None, "replica_lag")
    assert run.held_seconds >= 10
    assert owner_state(unfilled_db) == expected


def test_an_old_open_transaction_holds_the_run_until_it_ends(unfilled_db):
    with unfilled_db.connect() as old:
        old.execute(text("SELECT txid_current()"))  # open, with an xid: VACUUM must keep what it sees
        pid = old.execute(text("SELECT pg_backend_pid()")).scalar_one()
        wait_for(lambda: transaction_age(unfilled_db, pid) > 0.5, "the transaction to outlast the limit")
        with backfill_in_background(unfilled_db, ThrottleSettings(max_transaction_age=0.5)) as result:
            run = wait_until_held_by(unfilled_db, "transaction_age")
            assert run.batches == 0
            assert f"pid {pid} (" in run.held_detail and "has had a transaction open for" in run.held_detail
            old.rollback()
    assert result["outcome"].status == "succeeded"


def transaction_age(engine, pid: int) -> float:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT extract(epoch FROM now() - xact_start) FROM pg_stat_activity WHERE pid = :pid"),
            {"pid": pid},
        ).scalar_one()


def longest_lock_wait(engine) -> float:
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT coalesce(max(extract(epoch FROM now() - waitstart)), 0) "
                "FROM pg_locks WHERE NOT granted"
            )
        ).scalar_one()


def test_a_session_queued_for_a_lock_on_a_migrated_table_holds_the_run(unfilled_db):
    with unfilled_db.connect() as holder:
        holder.execute(text("LOCK TABLE crm_opportunities IN ROW EXCLUSIVE MODE"))

        waiter = threading.Thread(target=lambda: _queue_for_an_exclusive_lock(unfilled_db))
        waiter.start()
        wait_for(lambda: longest_lock_wait(unfilled_db) > 0.2, "the exclusive lock to wait past the limit")
        with backfill_in_background(unfilled_db, ThrottleSettings(max_lock_wait=0.2)) as result:
            run = wait_until_held_by(unfilled_db, "lock_wait")
            assert "AccessExclusiveLock on crm_opportunities" in run.held_detail
            holder.rollback()
            waiter.join(timeout=30)
    assert result["outcome"].status == "succeeded"


def test_a_vacuum_of_the_table_being_filled_holds_the_run(unfilled_db):
    with unfilled_db.connect().execution_options(isolation_level="AUTOCOMMIT") as vacuum:
        # Slowed down to a page a tenth of a second, so that it is still at work when looked at.
        vacuum.execute(text("SET vacuum_cost_delay = 100"))
        vacuum.execute(text("SET vacuum_cost_limit = 1"))
        pid = vacuum.execute(text("SELECT pg_backend_pid()")).scalar_one()
        slow = threading.Thread(target=lambda: _vacuum_until_cancelled(vacuum))
        slow.start()
        with backfill_in_background(unfilled_db, ThrottleSettings()) as result:
            run = wait_until_held_by(unfilled_db, "vacuum")
            assert f"pid {pid}, VACUUM" in run.held_detail and "crm_accounts" in run.held_detail
            with unfilled_db.connect() as connection:
                connection.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": pid})
            slow.join(timeout=30)
    assert result["outcome"].status == "succeeded"


def _vacuum_until_cancelled(connection) -> None:
    with pytest.raises(Exception, match="canceling statement"):
        connection.execute(text("VACUUM crm_accounts"))


def test_a_health_query_that_says_no_holds_the_run_until_it_says_yes(unfilled_db):
    with unfilled_db.begin() as connection:
        connection.execute(text("CREATE TABLE ops_health (healthy boolean, why text)"))
        connection.execute(text("INSERT INTO ops_health VALUES (false, 'replica pool at 95% CPU')"))
    health = ThrottleSettings(health_query="SELECT healthy, why FROM ops_health")
    with backfill_in_background(unfilled_db, health) as result:
        run = wait_until_held_by(unfilled_db, "health_query")
        assert run.held_detail == "it said replica pool at 95% CPU"
        with unfilled_db.begin() as connection:
            connection.execute(text("UPDATE ops_health SET healthy = true"))
    assert result["outcome"].status == "succeeded"


@pytest.mark.parametrize(
    ("health_query", "message"),
    [
        ("SELEC 1", "The health query cannot be used: syntax error"),
        ("SELECT 1", "its first column must be a boolean"),
    ],
)
def test_a_health_query_that_cannot_answer_is_refused_before_the_run_starts(
    unfilled_db, health_query, message
):
    options = RunOptions(ThrottleSettings(health_query=health_query))
    with pytest.raises(RunSettingsError, match=message):
        run_backfill(unfilled_db, SMALL, "ops.lead", "cli", options=options)
    assert latest_run(unfilled_db) is None


@pytest.mark.slow
def test_a_paused_run_keeps_its_place_and_its_lock_until_resumed_and_both_are_audited(unfilled_db):
    expected = state_after_a_clean_run(unfilled_db)
    slowly = BatchSettings(batch_size=500, pause_ms=100)
    with backfill_in_background(unfilled_db, ThrottleSettings(), slowly) as result:
        wait_for(lambda: (run := latest_run(unfilled_db)) is not None and run.batches > 0, "a first batch")
        run_id = steer_job(unfilled_db, OPERATOR, "backfill", "pause")
        paused = wait_until_held_by(unfilled_db, "paused")
        assert paused.held_detail == f"paused by {OPERATOR.name}"
        # The runner looks again each second: two more looks, and not one batch more.
        wait_for(
            lambda: (latest_run(unfilled_db).heartbeat_at - paused.heartbeat_at).total_seconds() >= 2,
            "two more looks at the paused run",
        )
        still = latest_run(unfilled_db)
        assert (still.status, still.batches, still.last_id) == ("paused", paused.batches, paused.last_id)
        with unfilled_db.connect() as connection:
            lock = "SELECT pg_try_advisory_lock(hashtext('owner-console backfill'))"
            assert connection.execute(text(lock)).scalar_one() is False, "a paused run gave up its lock"
        assert steer_job(unfilled_db, OPERATOR, "backfill", "resume") == run_id
    assert result["outcome"].status == "succeeded"
    assert owner_state(unfilled_db) == expected
    with unfilled_db.connect() as connection:
        entries = audit_entries(connection, AuditFilter(), limit=10)
    entries = [(entry["action"], entry["outcome"]) for entry in entries]
    assert ("pause backfill", "succeeded") in entries and ("resume backfill", "succeeded") in entries
    assert run_row(unfilled_db, run_id).held_seconds >= 2


def test_pause_and_resume_with_nothing_to_steer_say_so(demo_db):
    with pytest.raises(NothingToDo, match="No backfill is running"):
        steer_job(demo_db, OPERATOR, "backfill", "pause")
    with pytest.raises(NothingToDo, match="No backfill is paused"):
        steer_job(demo_db, OPERATOR, "backfill", "resume")


def test_a_vacuum_and_a_lock_wait_in_another_database_with_the_same_table_oids_hold_nothing(
    unfilled_db, server_url
):
    clones = clone(server_url, DEMO_TEMPLATE)
    twin = next(clones)  # a clone of the same template: the same oids
    with twin.begin() as connection:
        # A dead row on every page: the VACUUM below has each page to clean, at its slowest pace,
        # whether or not autovacuum had been through the template.
        connection.execute(text("UPDATE crm_accounts SET name = name"))
    try:
        vacuum = twin.connect().execution_options(isolation_level="AUTOCOMMIT")
        with vacuum, twin.connect() as holder:
            vacuum.execute(text("SET vacuum_cost_delay = 100"))
            vacuum.execute(text("SET vacuum_cost_limit = 1"))
            pid = vacuum.execute(text("SELECT pg_backend_pid()")).scalar_one()
            slow = threading.Thread(target=lambda: _vacuum_until_cancelled(vacuum))
            slow.start()
            holder.execute(text("LOCK TABLE crm_opportunities IN ROW EXCLUSIVE MODE"))
            waiter = threading.Thread(target=lambda: _queue_for_an_exclusive_lock(twin))
            waiter.start()
            wait_for(lambda: longest_lock_wait(twin) > 0.2, "the twin's lock to wait past the limit")
            settings = ThrottleSettings(max_lock_wait=0.2)
            with twin.connect() as connection:
                assert first_hold(connection, settings, "crm_accounts").signal == "lock_wait"
            with unfilled_db.connect() as connection:
                assert first_hold(connection, settings, "crm_accounts") is None
            holder.rollback()
            waiter.join(timeout=30)
            with twin.connect() as connection:
                assert first_hold(connection, settings, "crm_accounts").signal == "vacuum"
                connection.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": pid})
            slow.join(timeout=30)
    finally:
        next(clones, None)


def _queue_for_an_exclusive_lock(engine) -> None:
    with engine.begin() as waiter:
        waiter.execute(text("LOCK TABLE crm_opportunities IN ACCESS EXCLUSIVE MODE"))
