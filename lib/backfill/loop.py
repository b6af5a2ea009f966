"""The backfill job: first the rows written while the owner triggers were off are reconciled
(migration 0050), then keyset batches go over every migrated table; one transaction per batch.

One run at a time (lib/backfill/lock.py). Each batch commits with its counts (lib/backfill/runs.py),
so a closed browser or a second replica sees the progress, and a process that dies leaves a
consistent state: the next run marks it interrupted and resumes where it stopped. Cancel takes
effect between batches. After a run succeeds, AFTER_RUN_STEPS follow. The only link to a screen
is `on_progress`.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from lib.backfill import runs
from lib.backfill.after_run import AFTER_RUN_STEPS
from lib.backfill.lock import backfill_lock
from lib.backfill.progress import Progress
from lib.backfill.settings import BatchSettings
from lib.backfill.status import change_status
from lib.errors import Busy
from lib.registry import MIGRATED_TABLES
from lib.sql import query

# lock_not_available and query_canceled (statement_timeout): worth a retry after a pause.
RETRYABLE_SQLSTATES = {"55P03": "lock timeout", "57014": "statement timeout"}
BACKOFF_SECONDS = 0.5


class BackfillAlreadyRunning(Busy):
    """Another process holds the backfill lock; the message names its run."""


class BatchFailed(RuntimeError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: str
    rows_reconciled: int


def run_backfill(
    engine: Engine,
    settings: BatchSettings,
    started_by: str,
    source: str,
    on_progress: Callable[[Progress], None] = lambda progress: None,
    on_start: Callable[[Connection, int], None] = lambda connection, run_id: None,
) -> RunOutcome:
    """One run, holding the backfill lock. on_start(connection, run_id) writes in the transaction
    that creates the run, so that whatever it records exists exactly when the run does."""
    with backfill_lock(engine) as held, engine.connect() as connection:
        if not held:
            raise BackfillAlreadyRunning(runs.describe_active_run(connection))
        runs.mark_dead_runs_interrupted(connection)
        run_id = runs.create_run(connection, settings, started_by, source)
        on_start(connection, run_id)
        connection.commit()
        status = _run(connection, run_id, settings, on_progress)
        if status == "succeeded":
            for step in AFTER_RUN_STEPS:
                step(connection)
        return RunOutcome(run_id, status, runs.run_row(connection, run_id).rows_reconciled)


def _run(connection: Connection, run_id: int, settings: BatchSettings, on_progress) -> str:
    """First the rows written while the owner triggers were off, then every table the run has not
    finished, batch by batch; the run's final status."""
    run = runs.run_row(connection, run_id)
    try:
        for table in MIGRATED_TABLES:
            while True:
                reconciled, retries = _batch(
                    connection,
                    settings,
                    "backfill_reconcile",
                    {"table": table, "batch_size": settings.batch_size},
                    f"a reconciliation batch of {table}",
                )
                recorded = runs.record_reconciled(connection, run_id, reconciled.reconciled, retries)
                connection.commit()
                if recorded.status == "cancelling":
                    return _cancelled(connection, run_id)
                if reconciled.reconciled < settings.batch_size:
                    break
                time.sleep(settings.pause_ms / 1000)
        for table in (table for table in MIGRATED_TABLES if table not in run.tables_done):
            after_id = run.last_id if table == run.current_table else None
            while True:
                batch, retries = _batch(
                    connection,
                    settings,
                    "backfill_batch",
                    {"table": table, "after_id": after_id, "batch_size": settings.batch_size},
                    f"a batch of {table} after id {after_id}",
                )
                last_id = batch.last_id if batch.scanned else after_id
                recorded = runs.record_batch(connection, run_id, table, last_id, batch, retries)
                connection.commit()
                if batch.scanned:
                    on_progress(runs.progress_after(recorded))
                if recorded.status == "cancelling":
                    return _cancelled(connection, run_id)
                if batch.scanned < settings.batch_size:
                    break
                after_id = batch.last_id
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


def _cancelled(connection: Connection, run_id: int) -> str:
    change_status(connection, run_id, "cancelling", "cancelled")
    connection.commit()
    return "cancelled"


def _batch(connection: Connection, settings: BatchSettings, name: str, parameters: dict, what: str):
    """One batch (the query `name`) in its own transaction, under the timeouts; retried with
    backoff on a timeout. `what` names it in the failure."""
    for attempt in range(settings.max_retries + 1):
        try:
            connection.execute(
                query("backfill_timeouts"),
                {
                    "lock_timeout": f"{settings.lock_timeout_ms}ms",
                    "statement_timeout": f"{settings.statement_timeout_ms}ms",
                },
            )
            return connection.execute(query(name), parameters).one(), attempt
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
