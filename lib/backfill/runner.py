"""The backfill job: keyset batches over every migrated table, one transaction per batch.

One run at a time, across processes and replicas, through a session advisory lock that the
runner holds on a connection of its own. Each batch commits with its counts, so a closed browser
or a second replica sees the progress, and a process that dies leaves a consistent state: the
next run marks it interrupted and resumes where it stopped. Cancel takes effect between batches.
The only link to a screen is `on_progress`.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from lib.backfill.progress import Progress
from lib.backfill.settings import BatchSettings
from lib.backfill.status import change_status
from lib.coverage.counts import table_coverage
from lib.coverage.snapshots import take_snapshots_after_backfill
from lib.registry import MIGRATED_TABLES
from lib.remainder.unresolved import remainder_by_reason
from lib.sql import query

# lock_not_available and query_canceled (statement_timeout): worth a retry after a pause.
RETRYABLE_SQLSTATES = {"55P03": "lock timeout", "57014": "statement timeout"}
BACKOFF_SECONDS = 0.5


class BackfillAlreadyRunning(RuntimeError):
    """Another process holds the backfill lock; the message names its run."""


class BatchFailed(RuntimeError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: str


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
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock_connection:
        if not lock_connection.execute(query("backfill_lock")).scalar_one():
            raise BackfillAlreadyRunning(_describe_active_run(lock_connection))
        try:
            with engine.connect() as connection:
                mark_dead_runs_interrupted(connection)
                run_id = _create_run(connection, settings, started_by, source, on_start)
                return RunOutcome(run_id, _run(connection, run_id, settings, on_progress))
        finally:
            lock_connection.execute(query("backfill_unlock"))


def mark_dead_runs_interrupted(connection: Connection) -> None:
    """Runs that say they are active died with their process: call this holding the lock."""
    for run in connection.execute(query("backfill_active_runs")).all():
        change_status(connection, run.id, run.status, "interrupted")
    connection.commit()


def settle_dead_runs(engine: Engine) -> None:
    """Mark the runs whose process died as interrupted, when no runner holds the lock now."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock_connection:
        if not lock_connection.execute(query("backfill_lock")).scalar_one():
            return  # a runner is alive: its run really is in progress
        try:
            with engine.connect() as connection:
                mark_dead_runs_interrupted(connection)
        finally:
            lock_connection.execute(query("backfill_unlock"))


def backfill_runs(connection: Connection, limit: int) -> list[dict]:
    return [dict(row) for row in connection.execute(query("backfill_runs"), {"limit": limit}).mappings()]


def request_cancel(connection: Connection, requested_by: str) -> int | None:
    """Ask the running backfill to stop between two batches; its id, or None if none runs."""
    running = [run.id for run in connection.execute(query("backfill_active_runs")) if run.status == "running"]
    if not running:
        connection.rollback()
        return None
    change_status(connection, running[0], "running", "cancelling")
    connection.execute(query("backfill_cancel"), {"id": running[0], "requested_by": requested_by})
    connection.commit()
    return running[0]


def _create_run(
    connection: Connection,
    settings: BatchSettings,
    started_by: str,
    source: str,
    on_start: Callable[[Connection, int], None],
) -> int:
    last = connection.execute(query("backfill_last_run")).one_or_none()
    resume = last if last is not None and last.status == "interrupted" else None
    run_id = connection.execute(
        query("backfill_create_run"),
        {
            "started_by": started_by,
            "source": source,
            "batch_size": settings.batch_size,
            "pause_ms": settings.pause_ms,
            "resumed_from": resume.id if resume else None,
            "current_table": resume.current_table if resume else None,
            "last_id": resume.last_id if resume else None,
            "tables_done": list(resume.tables_done) if resume else [],
            "rows_total": connection.execute(
                query("backfill_rows_total"), {"tables": list(MIGRATED_TABLES)}
            ).scalar(),
            "coverage_before": json.dumps(_coverage_json(connection)),
        },
    ).scalar_one()
    change_status(connection, run_id, "queued", "running")
    on_start(connection, run_id)
    connection.commit()
    return run_id


def _run(connection: Connection, run_id: int, settings: BatchSettings, on_progress) -> str:
    run = connection.execute(query("backfill_run"), {"id": run_id}).one()
    try:
        for table in (table for table in MIGRATED_TABLES if table not in run.tables_done):
            after_id = run.last_id if table == run.current_table else None
            while True:
                batch, retries = _batch(connection, settings, table, after_id)
                progressed = connection.execute(
                    query("backfill_progress"),
                    {
                        "id": run_id,
                        "table": table,
                        "last_id": batch.last_id if batch.scanned else after_id,
                        "scanned": batch.scanned,
                        "resolved": batch.resolved,
                        "unresolved": batch.unresolved,
                        "retries": retries,
                    },
                ).one()
                connection.commit()
                if batch.scanned:
                    on_progress(
                        Progress(
                            progressed.rows_scanned,
                            progressed.rows_resolved,
                            progressed.rows_unresolved,
                            progressed.rows_total,
                            float(progressed.elapsed_seconds),
                        )
                    )
                if progressed.status == "cancelling":
                    change_status(connection, run_id, "cancelling", "cancelled")
                    connection.commit()
                    return "cancelled"
                if batch.scanned < settings.batch_size:
                    break
                after_id = batch.last_id
                time.sleep(settings.pause_ms / 1000)
            connection.execute(query("backfill_table_done"), {"id": run_id, "table": table})
            connection.commit()
    except BatchFailed as error:
        connection.rollback()
        return _fail(connection, run_id, error.kind, str(error))
    except Exception as error:
        connection.rollback()
        _fail(connection, run_id, type(error).__name__, str(error).splitlines()[0])
        raise
    connection.execute(
        query("backfill_results"),
        {
            "id": run_id,
            "coverage_after": json.dumps(_coverage_json(connection)),
            "remainder_after": json.dumps([list(row) for row in remainder_by_reason(connection)]),
        },
    )
    status = connection.execute(query("backfill_run"), {"id": run_id}).one().status
    change_status(connection, run_id, status, "succeeded")
    connection.commit()
    for table in MIGRATED_TABLES:
        connection.execute(query("backfill_analyze", table))
        connection.commit()
    take_snapshots_after_backfill(connection)
    return "succeeded"


def _batch(connection: Connection, settings: BatchSettings, table: str, after_id: int | None):
    """One batch in its own transaction, under the timeouts; retried with backoff on a timeout."""
    for attempt in range(settings.max_retries + 1):
        try:
            connection.execute(
                query("backfill_timeouts"),
                {
                    "lock_timeout": f"{settings.lock_timeout_ms}ms",
                    "statement_timeout": f"{settings.statement_timeout_ms}ms",
                },
            )
            batch = connection.execute(
                query("backfill_batch"),
                {"table": table, "after_id": after_id, "batch_size": settings.batch_size},
            ).one()
            return batch, attempt
        except OperationalError as error:
            connection.rollback()
            kind = RETRYABLE_SQLSTATES.get(getattr(error.orig, "sqlstate", None))
            if kind is None:
                raise
            if attempt == settings.max_retries:
                raise BatchFailed(
                    kind,
                    f"a batch of {table} after id {after_id} hit its {kind} "
                    f"{settings.max_retries + 1} times; a long transaction probably holds its rows",
                ) from None
            time.sleep(BACKOFF_SECONDS * 2**attempt)
    raise AssertionError("unreachable")


def _fail(connection: Connection, run_id: int, kind: str, message: str) -> str:
    status = connection.execute(query("backfill_run"), {"id": run_id}).one().status
    connection.execute(query("backfill_error"), {"id": run_id, "kind": kind, "message": message})
    change_status(connection, run_id, status, "failed")
    connection.commit()
    return "failed"


def _coverage_json(connection: Connection) -> dict:
    return {
        row.table: {
            "total_legacy": row.total_legacy,
            "resolved_fk": row.resolved_fk,
            "resolved_pct": str(row.resolved_pct),
        }
        for row in table_coverage(connection)
    }


def _describe_active_run(connection: Connection) -> str:
    active = connection.execute(query("backfill_active_runs")).all()
    if not active:
        return "A backfill is already running in another process."
    run = active[-1]
    share = f", {run.rows_scanned * 100 // run.rows_total}% scanned" if run.rows_total else ""
    started = f" at {run.started_at:%Y-%m-%d %H:%M:%S %Z}" if run.started_at else ""
    return (
        f"A backfill is already running: run {run.id}, started by {run.started_by} "
        f"({run.source}){started}{share}."
    )
