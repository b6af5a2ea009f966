"""The backfill job: first the rows written while the owner triggers were off are reconciled
(migration 0050), then keyset batches go over every migrated table; one transaction per batch.

One run at a time (lib/backfill/lock.py). Each batch commits with its counts (lib/backfill/runs.py),
so a closed browser or a second replica sees the progress, and a process that dies leaves a
consistent state: the next run marks it interrupted and resumes where it stopped. Before each
batch the run waits while an operator has paused it or a throttle signal holds it
(lib/backfill/throttle.py); the batch size then tunes itself (lib/backfill/tuning.py). Cancel takes
effect between batches. After a run succeeds, AFTER_RUN_STEPS follow. The only link to a screen
is `on_progress`.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from lib.backfill import runs
from lib.backfill.after_run import AFTER_RUN_STEPS
from lib.backfill.lock import backfill_lock
from lib.backfill.progress import Progress
from lib.backfill.settings import BatchSettings
from lib.backfill.status import change_status
from lib.backfill.throttle import RECHECK_SECONDS, Hold, ThrottleSettings, check_health_query, first_hold
from lib.backfill.tuning import Tuning, next_batch_size
from lib.errors import Busy
from lib.registry import MIGRATED_TABLES
from lib.sql import query

# lock_not_available and query_canceled (statement_timeout): worth a retry after a pause.
RETRYABLE_SQLSTATES = {"55P03": "lock timeout", "57014": "statement timeout"}
BACKOFF_SECONDS = 0.5


class BackfillAlreadyRunning(Busy):
    """Another process holds the backfill lock; the message names its run."""

    outcome = "refused"


class BatchFailed(RuntimeError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: str
    rows_reconciled: int


@dataclass(frozen=True)
class RunOptions:
    """How a run goes easy on production: what holds its batches, and how their size tunes."""

    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    tuning: Tuning = field(default_factory=Tuning)


DEFAULT_OPTIONS = RunOptions()


def run_backfill(
    engine: Engine,
    settings: BatchSettings,
    started_by: str,
    source: str,
    on_progress: Callable[[Progress], None] = lambda progress: None,
    on_start: Callable[[Connection, int], None] = lambda connection, run_id: None,
    options: RunOptions = DEFAULT_OPTIONS,
    on_created: Callable[[], None] = lambda: None,
) -> RunOutcome:
    """One run, holding the backfill lock. on_start(connection, run_id) writes in the transaction
    that creates the run, so that whatever it records exists exactly when the run does;
    on_created() is called once that transaction is committed, when every viewer can see it."""
    with backfill_lock(engine) as held, engine.connect() as connection:
        if not held:
            raise BackfillAlreadyRunning(runs.describe_active_run(connection))
        check_health_query(connection, options.throttle)
        runs.mark_dead_runs_interrupted(connection)
        run_id = runs.create_run(connection, settings, started_by, source, options.throttle)
        on_start(connection, run_id)
        connection.commit()
        on_created()
        status = _run(connection, run_id, settings, options, on_progress)
        if status == "succeeded":
            for step in AFTER_RUN_STEPS:
                step(connection)
        return RunOutcome(run_id, status, runs.run_row(connection, run_id).rows_reconciled)


def _run(
    connection: Connection, run_id: int, settings: BatchSettings, options: RunOptions, on_progress
) -> str:
    """First the rows written while the owner triggers were off, then every table the run has not
    finished, batch by batch, each once the run may go ahead; the run's final status."""
    run = runs.run_row(connection, run_id)
    size, status = settings.batch_size, run.status
    try:
        for table in MIGRATED_TABLES:
            while True:
                if not _go_ahead(connection, run_id, status, table, options.throttle, on_progress):
                    return _cancelled(connection, run_id)
                reconciled, retries, seconds = _batch(
                    connection,
                    settings,
                    "backfill_reconcile",
                    {"table": table, "batch_size": size},
                    f"a reconciliation batch of {table}",
                )
                status = runs.record_reconciled(connection, run_id, reconciled.reconciled, retries).status
                connection.commit()
                if reconciled.reconciled < size:
                    break
                size = next_batch_size(size, reconciled.reconciled, seconds, options.tuning)
                time.sleep(settings.pause_ms / 1000)
        for table in (table for table in MIGRATED_TABLES if table not in run.tables_done):
            after_id = run.last_id if table == run.current_table else None
            while True:
                if not _go_ahead(connection, run_id, status, table, options.throttle, on_progress):
                    return _cancelled(connection, run_id)
                batch, retries, seconds = _batch(
                    connection,
                    settings,
                    "backfill_batch",
                    {"table": table, "after_id": after_id, "batch_size": size},
                    f"a batch of {table} after id {after_id}",
                )
                last_id = batch.last_id if batch.scanned else after_id
                next_size = next_batch_size(size, batch.scanned, seconds, options.tuning)
                recorded = runs.record_batch(connection, run_id, table, last_id, batch, retries, next_size)
                connection.commit()
                status = recorded.status
                if batch.scanned:
                    on_progress(runs.progress_after(recorded))
                if batch.scanned < size:
                    break
                after_id, size = batch.last_id, next_size
                time.sleep(settings.pause_ms / 1000)
            runs.record_table_done(connection, run_id, table)
            connection.commit()
    except BatchFailed as error:
        connection.rollback()
        runs.record_failure(connection, run_id, error.kind, str(error))
        connection.commit()
        return "failed"
    except Exception as error:
        connection.rollback()
        runs.record_failure(connection, run_id, type(error).__name__, str(error).splitlines()[0])
        connection.commit()
        raise
    runs.record_results(connection, run_id)
    change_status(connection, run_id, runs.run_row(connection, run_id).status, "succeeded")
    connection.commit()
    return "succeeded"


def _go_ahead(
    connection: Connection,
    run_id: int,
    status: str,
    table: str,
    throttle: ThrottleSettings,
    on_progress: Callable[[Progress], None],
) -> bool:
    """Wait while an operator has paused the run, or a throttle signal holds its next batch on
    `table`, writing why each time it looks again; False when the run is to stop instead."""
    held = False
    while status != "cancelling":
        if status == "paused":
            hold = Hold("paused", f"paused by {runs.run_row(connection, run_id).paused_by}")
        else:
            hold = first_hold(connection, throttle, table)
        if hold is None:
            break
        recorded = runs.record_hold(connection, run_id, hold)
        connection.commit()
        held = True
        on_progress(runs.progress_after(recorded))
        time.sleep(RECHECK_SECONDS)
        status = runs.run_row(connection, run_id).status
        connection.rollback()
    if held:
        runs.release_hold(connection, run_id)
        connection.commit()
    return status != "cancelling"


def _cancelled(connection: Connection, run_id: int) -> str:
    change_status(connection, run_id, "cancelling", "cancelled")
    connection.commit()
    return "cancelled"


def _batch(connection: Connection, settings: BatchSettings, name: str, parameters: dict, what: str):
    """One batch (the query `name`) in its own transaction, under the timeouts; retried with
    backoff on a timeout. `what` names it in the failure. Its row, its retries, and the seconds
    its last attempt took."""
    for attempt in range(settings.max_retries + 1):
        try:
            connection.execute(
                query("backfill_timeouts"),
                {
                    "lock_timeout": f"{settings.lock_timeout_ms}ms",
                    "statement_timeout": f"{settings.statement_timeout_ms}ms",
                },
            )
            started = time.monotonic()
            row = connection.execute(query(name), parameters).one()
            return row, attempt, time.monotonic() - started
        except OperationalError as error:
            connection.rollback()
            kind = RETRYABLE_SQLSTATES.get(getattr(error.orig, "sqlstate", None))
            if kind is None:
                raise
            if attempt == settings.max_retries:
                raise BatchFailed(
                    kind,
                    f"{what} hit its {kind} {settings.max_retries + 1} times; "
                    "a long transaction probably holds its rows",
                ) from None
            time.sleep(BACKOFF_SECONDS * 2**attempt)
    raise AssertionError("unreachable")
