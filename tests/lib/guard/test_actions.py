"""Guarded actions: the role is checked when the action runs, every attempt is audited, the audit
log refuses changes, and a busy table makes a trigger change give up within its lock timeout."""

import csv
import io
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lib.drift.verify import Verify, run_verify
from lib.errors import ActionError, Refused
from lib.guard.actions import (
    background_failure,
    change_triggers,
    start_backfill,
    start_backfill_in_background,
    start_verify_in_background,
    steer_job,
    verify,
)
from lib.guard.audit import COLUMNS as AUDIT_COLUMNS
from lib.guard.audit import AuditFilter, audit_entries, write_audit_csv
from lib.guard.identity import Identity, role_of
from lib.guard.triggers import TRIGGER_LOCK_TIMEOUT_MS, TableBusy, trigger_states
from lib.jobs.job import VERIFY
from lib.jobs.runs import settle_dead_runs
from lib.jobs.settings import BatchSettings
from lib.jobs.throttle import ThrottleSettings
from lib.jobs.tuning import Tuning
from tests.support.site import set_site_setting

VIEWER = Identity("viewer@example.com", "oidc")
OPERATOR = Identity("lead@example.com", "oidc")
ALL_TRIGGERS = [
    "crm_accounts_owner_sync_guard",
    "crm_accounts_owner_log_guard",
    "crm_opportunities_owner_sync_guard",
    "crm_opportunities_owner_log_guard",
]


pytestmark = pytest.mark.operators("lead@example.com", "other@example.com", local="")


@pytest.fixture(autouse=True)
def console_database(monkeypatch, demo_db):
    """The demo as the console's configured database, for the actions that open it themselves."""
    monkeypatch.setenv("DATABASE_URL", demo_db.url.render_as_string(hide_password=False))


def audit(engine):
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT actor, role, action, outcome, parameters, detail "
                "FROM migration_ops.audit_log ORDER BY id"
            )
        ).all()


def states(engine):
    with engine.connect() as connection:
        return {state.name: state.state for state in trigger_states(connection)}


def test_roles_come_from_configuration_at_the_moment_of_the_check(monkeypatch):
    assert role_of(OPERATOR) == "operator"
    assert role_of(VIEWER) == "viewer"
    assert role_of(Identity("lead@example.com", "proxy")) == "operator"
    # A local user on a configured database is a viewer unless listed by OS user name.
    assert role_of(Identity("cron", "local")) == "viewer"
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", "cron")
    assert role_of(Identity("cron", "local")) == "operator"
    set_site_setting("OWNER_CONSOLE_OPERATORS", "")
    assert role_of(OPERATOR) == "viewer"


def test_a_local_user_operates_the_embedded_demo(monkeypatch):
    monkeypatch.delenv("DATABASE_URL")
    assert role_of(Identity("anyone", "local")) == "operator"


def test_every_action_of_a_viewer_is_refused_and_audited(demo_db):
    with pytest.raises(Refused, match=r"viewer@example.com \(oidc\) is a viewer"):
        start_backfill(demo_db, VIEWER, BatchSettings())
    with pytest.raises(Refused):
        steer_job(demo_db, VIEWER, "backfill", "cancel")
    with pytest.raises(Refused):
        change_triggers(demo_db, VIEWER, ALL_TRIGGERS, enable=False)
    assert [(actor, role, action, outcome) for actor, role, action, outcome, _, _ in audit(demo_db)] == [
        ("viewer@example.com", "viewer", "backfill", "refused"),
        ("viewer@example.com", "viewer", "cancel backfill", "refused"),
        ("viewer@example.com", "viewer", "disable triggers", "refused"),
    ]
    assert set(states(demo_db).values()) == {"enabled"}
    with demo_db.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM migration_ops.backfill_runs")).scalar() == 0


def test_an_operator_disables_and_enables_all_four_triggers_and_both_are_audited(demo_db):
    change_triggers(demo_db, OPERATOR, ALL_TRIGGERS, enable=False)
    assert set(states(demo_db).values()) == {"disabled"}
    change_triggers(demo_db, OPERATOR, ALL_TRIGGERS, enable=True)
    assert set(states(demo_db).values()) == {"enabled"}
    entries = audit(demo_db)
    assert [(action, outcome) for _, _, action, outcome, _, _ in entries] == [
        ("disable triggers", "started"),
        ("disable triggers", "succeeded"),
        ("enable triggers", "started"),
        ("enable triggers", "succeeded"),
    ]
    assert entries[0].parameters == {"triggers": ALL_TRIGGERS}


def test_an_operators_backfill_is_audited_with_its_run(demo_db):
    outcome = start_backfill(demo_db, OPERATOR, BatchSettings(batch_size=10_000, pause_ms=0))
    started, ended = audit(demo_db)
    assert [(entry.action, entry.outcome, entry.detail) for entry in (started, ended)] == [
        ("backfill", "started", f"run {outcome.run_id} started"),
        ("backfill", "succeeded", f"run {outcome.run_id} succeeded"),
    ]
    assert started.parameters == ended.parameters
    assert started.parameters == {
        "batch_size": 10_000,
        "pause_ms": 0,
        "source": "console",
        "throttle": ThrottleSettings().as_json(),
        "tuning": Tuning().as_json(),
    }


def test_the_audit_log_refuses_update_delete_and_truncate(demo_db):
    with pytest.raises(Refused):
        steer_job(demo_db, VIEWER, "backfill", "cancel")
    for statement in (
        "UPDATE migration_ops.audit_log SET outcome = 'succeeded'",
        "DELETE FROM migration_ops.audit_log",
        "TRUNCATE migration_ops.audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"), demo_db.begin() as connection:
            connection.exec_driver_sql(statement)
    assert len(audit(demo_db)) == 1


def test_a_busy_table_makes_the_trigger_change_give_up_and_writers_wait_no_longer(demo_db):
    holder = demo_db.connect()  # a long write transaction on the table
    holder.execute(text("UPDATE crm_accounts SET name = name WHERE id = 1"))
    result = {}

    def disable():
        started = time.monotonic()
        try:
            change_triggers(demo_db, OPERATOR, ["crm_accounts_owner_sync_guard"], enable=False)
        except TableBusy as error:
            result["error"] = str(error)
        result["seconds"] = time.monotonic() - started

    alter = threading.Thread(target=disable)
    alter.start()
    try:
        with demo_db.connect() as watcher:
            deadline = time.monotonic() + 10
            while not watcher.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'crm_accounts'::regclass"
                )
            ).scalar():
                assert time.monotonic() < deadline, "the ALTER never queued for its lock"
                watcher.rollback()
        # The ALTER now waits for the lock; a new writer queues behind it, until it gives up.
        started = time.monotonic()
        with demo_db.begin() as writer:
            writer.execute(text("INSERT INTO crm_accounts (name, owner_username) VALUES ('w', 'ghost')"))
        writer_waited = time.monotonic() - started
    finally:
        alter.join(timeout=30)
        holder.rollback()
        holder.close()
    limit = TRIGGER_LOCK_TIMEOUT_MS / 1000
    assert "a transaction holds a lock on crm_accounts" in result["error"]
    assert limit <= result["seconds"] < limit + 2
    assert writer_waited < limit + 0.5
    assert states(demo_db)["crm_accounts_owner_sync_guard"] == "enabled"
    assert audit(demo_db)[-1].outcome == "failed"


def test_the_audit_csv_holds_the_filtered_entries(demo_db):
    for _ in range(2):
        with pytest.raises(Refused):
            steer_job(demo_db, VIEWER, "backfill", "cancel")
    change_triggers(demo_db, OPERATOR, ALL_TRIGGERS[:1], enable=True)
    out = io.BytesIO()
    with demo_db.connect() as connection:
        written = write_audit_csv(connection, AuditFilter(outcomes=("refused",)), out)
        shown = audit_entries(connection, AuditFilter(actor_contains="LEAD@"), limit=10)
    rows = list(csv.reader(io.StringIO(out.getvalue().decode())))
    assert written == 2 and rows[0] == list(AUDIT_COLUMNS)
    assert {row[1] for row in rows[1:]} == {"viewer@example.com"}
    assert [(entry["actor"], entry["action"], entry["outcome"]) for entry in shown] == [
        ("lead@example.com", "enable triggers", "succeeded"),
        ("lead@example.com", "enable triggers", "started"),
    ]


def test_a_viewer_cannot_start_a_console_backfill_either(demo_db):
    with pytest.raises(Refused):
        start_backfill_in_background(demo_db, VIEWER, BatchSettings())
    assert [(entry.action, entry.outcome) for entry in audit(demo_db)] == [("backfill", "refused")]
    with demo_db.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM migration_ops.backfill_runs")).scalar() == 0


def test_a_console_backfill_and_verify_exist_for_every_viewer_once_their_start_returns(demo_db):
    # The page drawn right after Start reads the runs table: the run must already be in it.
    def started_by(runs: str) -> list[str]:
        with demo_db.connect() as connection:
            return connection.execute(text(f"SELECT started_by FROM migration_ops.{runs}")).scalars().all()

    backfill = start_backfill_in_background(demo_db, OPERATOR, BatchSettings())
    started = started_by("backfill_runs")
    backfill.join()
    checking = start_verify_in_background(demo_db, OPERATOR, BatchSettings())
    verifying = started_by("verify_runs")
    checking.join()
    assert started == [OPERATOR.name] and verifying == [OPERATOR.name]


def test_a_console_verify_started_afresh_does_not_resume_an_interrupted_one(demo_db):
    def killed_at_once(progress):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_verify(
            demo_db,
            Verify(BatchSettings(batch_size=500), OPERATOR.name, "console", on_progress=killed_at_once),
        )
    settle_dead_runs(demo_db, VERIFY)
    start_verify_in_background(demo_db, OPERATOR, BatchSettings(), True).join()
    with demo_db.connect() as connection:
        runs = connection.execute(
            text("SELECT status, resumed FROM migration_ops.verify_runs ORDER BY id")
        ).all()
    assert runs == [("interrupted", 0), ("passed", 0)]


# A verify batch that waits on a table lock past its statement timeout fails with the database's
# sentence; lock_timeout is set longer, so that the statement timeout is what stops it.
TIMED_OUT = BatchSettings(statement_timeout_ms=1_000, lock_timeout_ms=30_000, max_retries=0)


@contextmanager
def crm_accounts_locked(engine):
    with engine.connect() as holder:
        holder.execute(text("LOCK TABLE crm_accounts IN ACCESS EXCLUSIVE MODE"))
        yield
        holder.rollback()


STOPPED = "the first verify batch of crm_accounts hit its statement timeout 1 time"


def test_a_verify_stopped_by_its_statement_timeout_is_audited_as_failed_with_the_reason(demo_db):
    with crm_accounts_locked(demo_db), pytest.raises(ActionError, match=STOPPED) as failed:
        verify(demo_db, OPERATOR, TIMED_OUT)
    entries = [(entry.action, entry.outcome, entry.detail) for entry in audit(demo_db)]
    assert entries == [("verify", "started", None), ("verify", "failed", str(failed.value))]


def test_a_console_verify_that_fails_after_its_start_returned_tells_the_operator_who_started_it(demo_db):
    assert background_failure(OPERATOR, "verify") is None
    with crm_accounts_locked(demo_db):
        start_verify_in_background(demo_db, OPERATOR, TIMED_OUT).join()
    failure = background_failure(OPERATOR, "verify")
    assert failure.startswith("The verify you started stopped: verify run ") and STOPPED in failure, failure
    assert background_failure(VIEWER, "verify") is None
    # Starting it again clears it.
    start_verify_in_background(demo_db, OPERATOR, BatchSettings()).join()
    assert background_failure(OPERATOR, "verify") is None
