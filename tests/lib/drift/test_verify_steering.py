"""Verify steered like the backfill: an operator pauses, resumes or cancels it, from lib and from
the CLI (`--job verify`), and a throttle signal holds its next batch until it clears."""

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from lib.db.settings import PROJECT_ROOT
from lib.drift.verify import DEFAULT_THROTTLE
from lib.errors import ActionError, NothingToDo
from lib.guard.actions import steer_job, verify
from lib.guard.audit import AuditFilter, audit_entries
from lib.guard.identity import Identity, local_identity
from lib.jobs.settings import BatchSettings
from lib.jobs.throttle import ThrottleSettings
from tests.support.cli import cli, url_of
from tests.support.polling import wait_for
from tests.support.runs import latest_verify
from tests.support.site import set_site_setting

OPERATOR = Identity("lead@example.com", "oidc")
# The demo's 8,000 rows in 16 batches a tenth of a second apart: time to steer it.
SLOWLY = BatchSettings(batch_size=500, pause_ms=100)

pytestmark = pytest.mark.operators(OPERATOR.name)


def scanned_some(engine) -> bool:
    run = latest_verify(engine)
    return run is not None and run.rows_scanned > 0


def held_by(engine, signal_name: str):
    def held() -> bool:
        run = latest_verify(engine)
        return run is not None and run.held_by == signal_name

    wait_for(held, f"verify to be held by {signal_name}")
    return latest_verify(engine)


@contextmanager
def verify_in_background(engine, throttle: ThrottleSettings = DEFAULT_THROTTLE) -> Iterator[dict]:
    """A verify on a thread of this process; its outcome (or error) in the dict once the block ends."""
    result: dict = {}

    def run() -> None:
        try:
            result["outcome"] = verify(engine, OPERATOR, SLOWLY, throttle=throttle)
        except Exception as error:  # for the test to show, not to lose on the thread
            result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield result
    finally:
        thread.join(timeout=120)
    assert not thread.is_alive(), "the verify never ended"
    assert "error" not in result, result.get("error")


def audited(engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [(entry["action"], entry["outcome"]) for entry in audit_entries(connection, AuditFilter(), 20)]


@pytest.mark.slow
def test_a_paused_verify_keeps_its_place_and_its_lock_until_resumed_then_passes(demo_db):
    with verify_in_background(demo_db) as result:
        wait_for(lambda: scanned_some(demo_db), "a first batch")
        run_id = steer_job(demo_db, OPERATOR, "verify", "pause")
        paused = held_by(demo_db, "paused")
        assert (paused.status, paused.held_detail) == ("paused", f"paused by {OPERATOR.name}")
        # The runner looks again each second: two more looks, and not one row more.
        wait_for(
            lambda: (latest_verify(demo_db).heartbeat_at - paused.heartbeat_at).total_seconds() >= 2,
            "two more looks at the paused run",
        )
        assert latest_verify(demo_db).rows_scanned == paused.rows_scanned
        with demo_db.connect() as connection:
            lock = "SELECT pg_try_advisory_lock(hashtext('owner-console verify'))"
            assert connection.execute(text(lock)).scalar_one() is False, "a paused verify gave up its lock"
        assert steer_job(demo_db, OPERATOR, "verify", "resume") == run_id
    assert (result["outcome"].run_id, result["outcome"].status) == (run_id, "passed")
    finished = latest_verify(demo_db)
    assert finished.rows_scanned == finished.rows_total and finished.held_seconds >= 2
    assert ("pause verify", "succeeded") in audited(demo_db)
    assert ("resume verify", "succeeded") in audited(demo_db)


def test_a_cancelled_verify_stops_before_its_next_batch_and_the_next_one_starts_afresh(demo_db):
    with verify_in_background(demo_db) as result:
        wait_for(lambda: scanned_some(demo_db), "a first batch")
        run_id = steer_job(demo_db, OPERATOR, "verify", "cancel")
    assert (result["outcome"].run_id, result["outcome"].status) == (run_id, "cancelled")
    stopped = latest_verify(demo_db)
    assert stopped.status == "cancelled" and stopped.rows_scanned < stopped.rows_total
    # The run can see the cancel, and log its end, before the cancel logs its own success.
    assert sorted(audited(demo_db)[:2]) == [("cancel verify", "succeeded"), ("verify", "cancelled")]
    again = verify(demo_db, OPERATOR, BatchSettings())
    assert (again.run_id != run_id, again.resumed, again.status) == (True, False, "passed")


def test_a_health_query_that_says_no_holds_verify_until_it_says_yes(demo_db):
    with demo_db.begin() as connection:
        connection.execute(text("CREATE TABLE ops_health (healthy boolean, why text)"))
        connection.execute(text("INSERT INTO ops_health VALUES (false, 'replica pool at 95% CPU')"))
    health = ThrottleSettings(health_query="SELECT healthy, why FROM ops_health")
    with verify_in_background(demo_db, health) as result:
        held = held_by(demo_db, "health_query")
        assert (held.held_detail, held.rows_scanned) == ("it said replica pool at 95% CPU", 0)
        with demo_db.begin() as connection:
            connection.execute(text("UPDATE ops_health SET healthy = true"))
    assert result["outcome"].status == "passed"
    assert latest_verify(demo_db).held_by is None


def test_pause_resume_and_cancel_with_no_verify_say_so(demo_db):
    with pytest.raises(NothingToDo, match="No verify is running: only a running one can be paused"):
        steer_job(demo_db, OPERATOR, "verify", "pause")
    with pytest.raises(NothingToDo, match="No verify is paused"):
        steer_job(demo_db, OPERATOR, "verify", "resume")
    with pytest.raises(NothingToDo, match="No verify is running"):
        steer_job(demo_db, OPERATOR, "verify", "cancel")


@pytest.mark.slow
def test_the_cli_pauses_and_resumes_the_verify_that_the_cli_runs(demo_db):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    runner = subprocess.Popen(
        [sys.executable, "-m", "lib.cli", "verify", "--batch-size", "500", "--pause-ms", "100"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": url_of(demo_db)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "scanned" in runner.stdout.readline()
        paused = cli("pause", "--job", "verify", database_url=url_of(demo_db))
        run_id = latest_verify(demo_db).id
        assert (paused.returncode, paused.stdout) == (
            0,
            f"paused verify run {run_id}: it waits before its next batch, keeping its place, "
            "until `lib.cli resume --job verify`\n",
        ), paused.stderr
        waiting = next(line for line in runner.stdout if line.startswith("waiting"))
        assert waiting == f"waiting before its next batch: paused: paused by {local_identity().name}\n"
        resumed = cli("resume", "--job", "verify", database_url=url_of(demo_db))
        assert (resumed.returncode, resumed.stdout) == (
            0,
            f"resumed verify run {run_id}: it goes on from where it waited\n",
        )
        assert runner.wait(timeout=120) == 0
    finally:
        runner.send_signal(signal.SIGKILL)
    cancelled = cli("cancel", "--job", "verify", database_url=url_of(demo_db))
    assert (cancelled.returncode, cancelled.stderr) == (1, "error: No verify is running.\n")


def waiting_for_crm_accounts(engine) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'crm_accounts'::regclass"
                )
            ).scalar_one()
        )


def test_a_verify_batch_stopped_by_its_lock_timeout_is_retried_and_the_retry_counted(demo_db):
    settings = BatchSettings(lock_timeout_ms=100, max_retries=3)
    result = {}
    with demo_db.connect() as holder:
        holder.execute(text("LOCK TABLE crm_accounts IN ACCESS EXCLUSIVE MODE"))
        thread = threading.Thread(target=lambda: result.update(outcome=verify(demo_db, OPERATOR, settings)))
        thread.start()
        try:
            wait_for(lambda: waiting_for_crm_accounts(demo_db), "a verify batch to wait for the lock")
            # Still locked, it no longer waits: its lock timeout ended the attempt.
            wait_for(lambda: not waiting_for_crm_accounts(demo_db), "the attempt to time out")
        finally:
            holder.rollback()
            thread.join(timeout=60)
    assert result["outcome"].status == "passed"
    run = latest_verify(demo_db)
    assert (run.status, run.error_message) == ("passed", None)
    assert run.retries >= 1


def test_a_verify_batch_that_keeps_hitting_its_lock_timeout_fails_the_run_with_the_reason(demo_db):
    settings = BatchSettings(lock_timeout_ms=100, max_retries=1)
    with demo_db.connect() as holder:
        holder.execute(text("LOCK TABLE crm_accounts IN ACCESS EXCLUSIVE MODE"))
        with pytest.raises(ActionError, match="hit its lock timeout 2 times") as refused:
            verify(demo_db, OPERATOR, settings)
        holder.rollback()
    run = latest_verify(demo_db)
    assert (run.status, run.error_kind) == ("failed", "lock timeout")
    assert str(refused.value) == f"verify run {run.id} failed: {run.error_message}"
    assert audited(demo_db)[:2] == [("verify", "failed"), ("verify", "started")]
