"""The batched backfill job against a real database: one run at a time, cancel between batches,
a killed run resumed, timeouts retried then reported, and what each run fixed."""

import signal
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from lib.backfill.task import RunOptions, run_backfill
from lib.coverage.counts import table_coverage
from lib.coverage.forecast import forecast
from lib.jobs.job import BACKFILL
from lib.jobs.runner import AlreadyRunning
from lib.jobs.runs import steer
from lib.jobs.settings import BatchSettings
from lib.jobs.status import CANCELLABLE
from lib.jobs.tuning import Tuning
from lib.registry import MIGRATED_TABLES
from lib.remainder.unresolved import remainder_by_reason
from tests.support.crm import cli_backfill, error_rows, owner_state, state_after_a_clean_run, unresolved_rows
from tests.support.polling import wait_for
from tests.support.runs import run_row

FAST = BatchSettings(batch_size=500, pause_ms=0)
FIXED_SIZE = RunOptions(tuning=Tuning(target_batch_ms=0))
ANALYZE_COUNTS = "SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname LIKE 'crm%'"


def backfill_lock_held(engine) -> bool:
    with engine.connect() as connection:
        held = connection.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
        return held.scalar_one() > 0


def test_a_run_resolves_what_the_forecast_said_and_records_what_it_fixed(unfilled_db):
    with unfilled_db.connect() as connection:
        predicted = {row.table: row for row in forecast(connection)}
    expected = state_after_a_clean_run(unfilled_db)
    seen = []
    outcome = run_backfill(unfilled_db, FAST, "ops.lead", "cli", seen.append, options=FIXED_SIZE)

    assert outcome.status == "succeeded"
    assert owner_state(unfilled_db) == expected
    run = run_row(unfilled_db, outcome.run_id)
    assert run.rows_resolved == sum(row.newly_resolved for row in predicted.values())
    assert run.rows_scanned == sum(len(rows) for rows in expected[0].values())
    assert run.batches >= run.rows_scanned // FAST.batch_size
    with unfilled_db.connect() as connection:
        after = {row.table: row for row in table_coverage(connection)}
        assert run.coverage_after == {
            t: {
                "total_legacy": r.total_legacy,
                "resolved_fk": r.resolved_fk,
                "resolved_pct": str(r.resolved_pct),
            }
            for t, r in after.items()
        }
        assert run.coverage_before["crm_accounts"]["resolved_fk"] == 0
        assert [tuple(row) for row in run.remainder_after] == remainder_by_reason(connection)
        assert set(error_rows(connection)) == unresolved_rows(connection)
        snapshots = connection.execute(
            text("SELECT count(*) FROM migration_ops.coverage_snapshots WHERE reason = 'backfill'")
        ).scalar()
        assert snapshots == len(MIGRATED_TABLES)
    assert seen[-1].scanned == run.rows_scanned and seen[-1].resolved == run.rows_resolved
    assert [after[t].resolved_pct for t in MIGRATED_TABLES] == [
        predicted[t].resolved_pct for t in MIGRATED_TABLES
    ]


@pytest.mark.slow
def test_a_second_start_from_another_process_is_refused_naming_the_running_run(unfilled_db):
    slow = cli_backfill(unfilled_db, "--batch-size", "100", "--pause-ms", "200")
    try:
        assert "scanned" in slow.stdout.readline()  # its first batch has committed
        with pytest.raises(AlreadyRunning, match=r"already running: run \d+, started by .* \(cli\)"):
            run_backfill(unfilled_db, FAST, "second", "console")
    finally:
        slow.kill()
        slow.wait()


def test_a_start_waits_out_the_consoles_brief_hold_of_the_lock_instead_of_being_refused(unfilled_db):
    """The console takes the lock for a moment to settle dead runs: a start at that moment waits."""
    with ThreadPoolExecutor(1) as pool:
        with settle_dead_runs_holding(unfilled_db):
            started = pool.submit(run_backfill, unfilled_db, FAST, "ops.lead", "cli", options=FIXED_SIZE)
            wait_for(lambda: advisory_lock_waiters(unfilled_db) == 1, "the start to wait for the lock")
        assert started.result().status == "succeeded"


@contextmanager
def settle_dead_runs_holding(engine):
    """The lock as settle_dead_runs takes it, held until the block ends."""
    with BACKFILL.lock(engine, wait_ms=0) as held:
        assert held
        yield


def advisory_lock_waiters(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        ).scalar_one()


@pytest.fixture
def returning_users_db(demo_db):
    """The demo after its deleted users came back: their rows resolve on the next backfill, and
    until then owner_backfill_errors lists them, as the triggers keep it."""
    with demo_db.begin() as connection:
        connection.execute(
            text("""
                INSERT INTO app_users (username)
                SELECT DISTINCT owner_username FROM owner_backfill_errors
                WHERE reason = 'user_not_found' AND owner_username ~ '^[a-z]+[.][a-z]+$'
            """)
        )
    return demo_db


def test_cancel_stops_between_batches_and_leaves_the_errors_equal_to_the_unresolved(returning_users_db):
    def cancel_after_the_first_batch(progress):
        if progress.scanned == FAST.batch_size:
            with returning_users_db.begin() as connection:
                assert steer(connection, BACKFILL, CANCELLABLE, "cancelling", "ops.lead") is not None

    outcome = run_backfill(returning_users_db, FAST, "ops.lead", "console", cancel_after_the_first_batch)
    run = run_row(returning_users_db, outcome.run_id)
    assert (outcome.status, run.status, run.cancel_requested_by) == ("cancelled", "cancelled", "ops.lead")
    assert run.batches == 1  # asked after its first batch had committed, it stopped before the next
    assert run.rows_resolved > 0
    with returning_users_db.connect() as connection:
        assert set(error_rows(connection)) == unresolved_rows(connection)
        later = forecast(connection)[0].newly_resolved
    assert later > 0  # rows beyond the cancelled batches are still to do


def test_a_killed_run_shows_as_interrupted_and_the_next_run_resumes_to_a_clean_runs_state(unfilled_db):
    expected = state_after_a_clean_run(unfilled_db)
    killed = cli_backfill(unfilled_db, "--batch-size", "100", "--pause-ms", "100")
    try:
        for _ in range(3):
            assert "scanned" in killed.stdout.readline()
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    # The killed client's backend lets go of the backfill lock once it notices the closed socket.
    wait_for(lambda: not backfill_lock_held(unfilled_db), "the killed runner's backend to exit")

    outcome = run_backfill(unfilled_db, FAST, "ops.lead", "console")
    first, second = run_row(unfilled_db, outcome.run_id - 1), run_row(unfilled_db, outcome.run_id)
    assert first.status == "interrupted" and first.rows_scanned >= 300
    assert (second.status, second.resumed_from) == ("succeeded", first.id)
    assert second.rows_scanned + first.rows_scanned >= sum(len(rows) for rows in expected[0].values())
    assert second.rows_scanned < sum(len(rows) for rows in expected[0].values())  # it did not start over
    assert owner_state(unfilled_db) == expected


def test_a_batch_that_keeps_hitting_the_lock_timeout_fails_the_run_with_the_reason(unfilled_db):
    holder = unfilled_db.connect()
    holder.exec_driver_sql("LOCK TABLE crm_accounts IN SHARE MODE")
    try:
        outcome = run_backfill(
            unfilled_db,
            BatchSettings(batch_size=500, pause_ms=0, lock_timeout_ms=100, max_retries=1),
            "ops",
            "cli",
        )
    finally:
        holder.rollback()
        holder.close()
    run = run_row(unfilled_db, outcome.run_id)
    assert (outcome.status, run.status, run.error_kind, run.retries) == (
        "failed",
        "failed",
        "lock timeout",
        0,
    )
    assert "hit its lock timeout 2 times; a long transaction probably holds its rows" in run.error_message
    with unfilled_db.connect() as connection:
        assert (
            connection.execute(
                text("SELECT count(*) FROM crm_accounts WHERE owner_user_id IS NOT NULL")
            ).scalar()
            == 0
        )


def test_a_finished_run_leaves_fresh_statistics_for_the_planner(unfilled_db):
    with unfilled_db.connect() as connection:
        before = dict(connection.execute(text(ANALYZE_COUNTS)).all())
    assert run_backfill(unfilled_db, FAST, "ops.lead", "cli").status == "succeeded"
    with unfilled_db.connect() as connection:
        after = dict(connection.execute(text(ANALYZE_COUNTS)).all())
    assert all(after[table] == before[table] + 1 for table in MIGRATED_TABLES)
