"""R1: the backfill process killed with SIGKILL at random points, in the middle of batches
included, then resumed. Each time the tables end row for row as a clean run leaves them, and
owner_backfill_errors holds exactly the unresolved rows.

A kill point is a place the runner can be held: the test takes a lock the runner needs next,
waits until the runner's backend waits on it, kills the process there, and only then lets go.
"""

import signal

from sqlalchemy import Connection, text

from lib.backfill.task import run_backfill
from lib.drift.verify import Verify, run_verify
from lib.drift.waiting import writes_waiting
from lib.guard.triggers import rollback_sql
from lib.jobs.settings import BatchSettings
from lib.registry import MIGRATED_TABLES
from tests.support.crm import cli_backfill, error_rows, owner_state, state_after_a_clean_run, unresolved_rows
from tests.support.faults import SCALE, backend_pid, record, waiting_on
from tests.support.polling import wait_for

KILLS = 20
# About 21 batches a run at every scale: 6 of accounts, 15 of opportunities.
BATCH_SIZE = max(100, round(100 * SCALE))
RESUME = BatchSettings(batch_size=BATCH_SIZE)

# What the test holds, and so where the runner stops, for each kind of kill point.
HOLDS = {
    # a row of the batch: the batch's UPDATE waits on it with earlier rows already written
    "mid-batch row": "SELECT 1 FROM {table} WHERE id = :id FOR UPDATE",
    # an error row of an unresolvable entity, inserted and not committed: the batch's upsert of
    # its own error row waits, after the batch's UPDATE
    "mid-batch error row": (
        "INSERT INTO owner_backfill_errors (entity_type, entity_id, owner_username, reason) "
        "SELECT :table, id, owner_username, 'user_not_found' FROM {table} WHERE id = :id"
    ),
    # the run's row: the progress of a finished batch, in the batch's own transaction, waits
    "batch written, progress not committed": (
        "SELECT 1 FROM migration_ops.backfill_runs "
        "WHERE id = (SELECT max(id) FROM migration_ops.backfill_runs) FOR UPDATE"
    ),
    # the runs table: the new run's INSERT waits, with the advisory lock already taken
    "creating the run": "LOCK TABLE migration_ops.backfill_runs IN EXCLUSIVE MODE",
    # ANALYZE after a run that has succeeded
    "analyzing after success": "LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE",
}
BETWEEN_LINES = "after a progress line, wherever the runner is"
KINDS = (*HOLDS, BETWEEN_LINES)


def test_twenty_kills_each_resume_to_a_clean_runs_state(pending_clones, rng):
    with pending_clones() as reference:
        expected = state_after_a_clean_run(reference)
    assert set(expected[1]) and len(expected[1]) < sum(map(len, expected[0].values()))
    interrupted = 0
    for _ in range(KILLS):
        kind = rng.choice(KINDS)
        with pending_clones() as engine:
            killed_while = kill_backfill(engine, kind, rng)
            outcome = run_backfill(engine, RESUME, "fault-suite", "cli")
            assert outcome.status == "succeeded", kind
            state = owner_state(engine)
            assert state == expected, f"after a kill {kind}"
            with engine.connect() as connection:
                assert set(error_rows(connection)) == unresolved_rows(connection)
                before = connection.execute(
                    text("SELECT id, status FROM migration_ops.backfill_runs WHERE id < :id ORDER BY id"),
                    {"id": outcome.run_id},
                ).all()
                assert [status for _, status in before] == killed_while, kind
                # Every killed run was audited as it started, and as ended at most when it had
                # succeeded before the kill landed (a kill after the last progress line may come late).
                audited = connection.execute(
                    text("SELECT outcome, detail FROM migration_ops.audit_log WHERE action = 'backfill'")
                ).all()
                started = [("started", f"run {run} started") for run, _ in before]
                ended = [
                    ("succeeded", f"run {run} succeeded") for run, status in before if status == "succeeded"
                ]
                assert [entry for entry in audited if entry[0] == "started"] == started, kind
                assert set(audited) - set(started) <= set(ended), kind
            interrupted += killed_while == ["interrupted"]
    rows = sum(map(len, expected[0].values()))
    record("R1 kills survived (row-for-row equal to a clean run)", f"{KILLS} of {KILLS}, over {rows:,} rows")
    record("R1 kills that left a run to resume", interrupted)


def kill_backfill(engine, kind: str, rng) -> list[str]:
    """Start the CLI backfill, SIGKILL it at a point of `kind`, wait until its backends are gone;
    the statuses of the runs it left, as the next runner will see them."""
    table = rng.choice(MIGRATED_TABLES)
    with engine.connect() as watch, engine.connect() as holder:
        row = random_owned_row(holder, table, rng, unresolvable=kind == "mid-batch error row")
        hold = HOLDS.get(kind, "")
        if hold and kind != "batch written, progress not committed":
            holder.execute(text(hold.format(table=table)), {"table": table, "id": row})
        process = cli_backfill(engine, "--batch-size", str(BATCH_SIZE))
        try:
            if kind == "batch written, progress not committed":
                lines = rng.randint(1, 5)
                read_progress_lines(process, lines)
                holder.execute(text(hold))
            elif kind == BETWEEN_LINES:
                read_progress_lines(process, rng.randint(1, 20))
            if hold:
                wait_until_it_waits_on(holder, watch, process, kind)
        finally:
            kill_runner(process, holder, watch)
        statuses = watch.execute(text("SELECT status FROM migration_ops.backfill_runs ORDER BY id")).scalars()
        return ["interrupted" if status == "running" else status for status in statuses]


def wait_until_it_waits_on(holder: Connection, watch: Connection, process, kind: str) -> None:
    """Until the runner's backend waits on a lock that `holder` holds; it must not have ended."""
    holder_pid = backend_pid(holder)
    wait_for(
        lambda: waiting_on(watch, holder_pid) or process.poll() is not None,
        f"the runner to wait on the test's lock ({kind})",
    )
    assert process.poll() is None, f"the runner ended before reaching {kind}: {process.stderr.read()}"


def kill_runner(process, holder: Connection, watch: Connection) -> None:
    """SIGKILL the runner `process`, let go of what `holder` holds, and wait until its backends are
    gone: a killed client's backends notice the closed socket once they are let go."""
    try:
        backends = runner_backends(watch, {backend_pid(holder), backend_pid(watch)})
    finally:
        kill(process)
    holder.rollback()
    wait_for(lambda: not still_there(watch, backends), "the killed runner's backends to exit")


def kill(process) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    process.stderr.close()


def random_owned_row(connection: Connection, table: str, rng, *, unresolvable: bool) -> int:
    """A row the backfill will write: any row with an owner, or one the rule cannot resolve."""
    rows = connection.execute(
        text(
            f"SELECT id FROM {table} WHERE btrim(owner_username) <> '' "
            "AND (NOT :unresolvable OR (SELECT user_id FROM resolve_owner_username(owner_username)) IS NULL) "
            "ORDER BY id"
        ),
        {"unresolvable": unresolvable},
    ).scalars()
    ids = list(rows)
    connection.rollback()
    return rng.choice(ids)


def read_progress_lines(process, count: int) -> None:
    for _ in range(count):
        line = process.stdout.readline()
        assert "scanned" in line, f"the runner stopped printing progress: {line!r} {process.stderr.read()}"


def runner_backends(connection: Connection, ours: set[int]) -> set[int]:
    pids = connection.execute(
        text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> ALL(:ours)"
        ),
        {"ours": list(ours)},
    ).scalars()
    found = set(pids)
    connection.rollback()
    return found


def still_there(connection: Connection, pids: set[int]) -> bool:
    found = connection.execute(
        text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"), {"pids": list(pids)}
    ).scalar_one()
    connection.rollback()
    return found > 0


# R1 while reconciling: a rollback's legacy writes, remembered, then the backfill killed while it
# reconciles them, at each of these points, and resumed.
RECONCILE_HOLDS = {
    # a remembered row: the reconciliation's UPDATE waits on it, earlier batches committed
    "reconciling a row": "SELECT 1 FROM {table} WHERE id = :id FOR UPDATE",
    # the error row of a row it sends back to unresolved: its upsert waits, after its UPDATE
    "logging a reconciled row": (
        "INSERT INTO owner_backfill_errors (entity_type, entity_id, owner_username, reason) "
        "VALUES (:table, :id, 'held', 'user_not_found')"
    ),
    # the remembered writes themselves: the next reconciliation batch waits before it starts
    "between reconciliation batches": "LOCK TABLE migration_ops.owner_writes_while_off IN EXCLUSIVE MODE",
}
RECONCILE_KILLS = 6
# Every third row of the pending CRM, re-pointed by the rolled-back code in four ways.
LEGACY_WRITES = """
    UPDATE {table} SET owner_username = CASE id % 4
        WHEN 0 THEN 'left.the.company'
        WHEN 1 THEN '   '
        WHEN 2 THEN upper(owner_username)
        ELSE (SELECT min(username) FROM app_users WHERE username ~ '^[a-z.]+$')
    END
    WHERE id % 3 = 0
"""


def write_during_a_rollback(engine, triggers_off: bool) -> None:
    with engine.begin() as connection:
        if triggers_off:
            connection.exec_driver_sql(rollback_sql("DISABLE"))
        for table in MIGRATED_TABLES:
            connection.execute(text(LEGACY_WRITES.format(table=table)))
        if triggers_off:
            connection.exec_driver_sql(rollback_sql("ENABLE"))


def test_kills_while_reconciling_each_resume_to_the_state_of_writes_with_the_triggers_on(pending_clones, rng):
    with pending_clones() as reference:
        write_during_a_rollback(reference, triggers_off=False)
        expected = state_after_a_clean_run(reference)
    waiting = 0
    for _ in range(RECONCILE_KILLS):
        kind = rng.choice(list(RECONCILE_HOLDS))
        with pending_clones() as engine:
            write_during_a_rollback(engine, triggers_off=True)
            with engine.connect() as connection:
                waiting = sum(writes_waiting(connection).values())
            reconciled_before_the_kill = kill_while_reconciling(engine, kind, rng)
            outcome = run_backfill(engine, RESUME, "fault-suite", "cli")
            assert outcome.status == "succeeded", kind
            assert owner_state(engine) == expected, f"after a kill {kind}"
            assert reconciled_before_the_kill + outcome.rows_reconciled == waiting, kind
            with engine.connect() as connection:
                assert sum(writes_waiting(connection).values()) == 0
                assert set(error_rows(connection)) == unresolved_rows(connection)
            assert run_verify(engine, Verify(RESUME, "fault-suite", "cli")).status == "passed", kind
    record(
        "R1 kills while reconciling, resumed as if triggers were on",
        f"{RECONCILE_KILLS} of {RECONCILE_KILLS}, {waiting:,} rows to reconcile",
    )


def kill_while_reconciling(engine, kind: str, rng) -> int:
    """Start the CLI backfill while the test holds a lock of `kind` that its reconciliation needs,
    SIGKILL it once it waits there, let go; the rows the killed run had reconciled."""
    table = rng.choice(MIGRATED_TABLES)
    with engine.connect() as watch, engine.connect() as holder:
        remembered = holder.execute(
            text(
                "SELECT w.entity_id FROM migration_ops.owner_writes_while_off AS w "
                "WHERE w.entity_type = :table "
                "AND (NOT :unresolvable OR w.owner_username = 'left.the.company') "
                "ORDER BY w.entity_id"
            ),
            {"table": table, "unresolvable": kind == "logging a reconciled row"},
        ).scalars()
        # Past the first batch, so that the killed run has committed some of its work.
        row = rng.choice(list(remembered)[BATCH_SIZE:] or [None])
        holder.rollback()
        holder.execute(text(RECONCILE_HOLDS[kind].format(table=table)), {"table": table, "id": row})
        process = cli_backfill(engine, "--batch-size", str(BATCH_SIZE))
        try:
            wait_until_it_waits_on(holder, watch, process, kind)
        finally:
            kill_runner(process, holder, watch)
        reconciled = watch.execute(
            text("SELECT sum(rows_reconciled) FROM migration_ops.backfill_runs")
        ).scalar()
        watch.rollback()
        return reconciled or 0
