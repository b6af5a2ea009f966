"""The runs table, migration_ops.backfill_runs: every read and write of a run but its status,
which lib/backfill/status.py changes. Each write is in the caller's transaction."""

import json

from sqlalchemy import Connection, Engine

from lib.backfill.lock import backfill_lock
from lib.backfill.progress import Progress
from lib.backfill.settings import BatchSettings
from lib.backfill.status import ACTIVE, CANCELLABLE, PAUSABLE, RESUMABLE, change_status
from lib.backfill.throttle import Hold, ThrottleSettings
from lib.coverage.counts import table_coverage
from lib.registry import MIGRATED_TABLES
from lib.remainder.unresolved import remainder_by_reason
from lib.sql import query


def create_run(
    connection: Connection,
    settings: BatchSettings,
    started_by: str,
    source: str,
    throttle: ThrottleSettings,
) -> int:
    """A new run, resuming where the last one stopped when its process died; now running."""
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
            "coverage_before": json.dumps(coverage_json(connection)),
            "throttle": json.dumps(throttle.as_json()),
        },
    ).scalar_one()
    change_status(connection, run_id, "queued", "running")
    return run_id


def run_row(connection: Connection, run_id: int):
    return connection.execute(query("backfill_run"), {"id": run_id}).one()


def record_batch(
    connection: Connection, run_id: int, table: str, last_id, batch, retries: int, next_batch_size: int
):
    """Add a batch's counts, and the size the next one will have; the run's status and totals
    after it."""
    return connection.execute(
        query("backfill_progress"),
        {
            "id": run_id,
            "table": table,
            "last_id": last_id,
            "scanned": batch.scanned,
            "resolved": batch.resolved,
            "unresolved": batch.unresolved,
            "retries": retries,
            "next_batch_size": next_batch_size,
        },
    ).one()


def record_hold(connection: Connection, run_id: int, hold: Hold):
    """Write why the run waits now; its status and totals."""
    return connection.execute(
        query("backfill_hold"), {"id": run_id, "signal": hold.signal, "detail": hold.detail}
    ).one()


def release_hold(connection: Connection, run_id: int) -> None:
    """The run goes on: the time it waited is added up. Nothing to do when it was not held."""
    connection.execute(query("backfill_release"), {"id": run_id})


def record_reconciled(connection: Connection, run_id: int, reconciled: int, retries: int):
    """Add a reconciliation batch's count; the run's status after it."""
    return connection.execute(
        query("backfill_reconciled"),
        {"id": run_id, "reconciled": reconciled, "retries": retries},
    ).one()


def progress_after(recorded) -> Progress:
    return Progress(
        recorded.rows_scanned,
        recorded.rows_resolved,
        recorded.rows_unresolved,
        recorded.rows_total,
        float(recorded.elapsed_seconds),
        float(recorded.held_seconds),
        recorded.held,
    )


def record_table_done(connection: Connection, run_id: int, table: str) -> None:
    connection.execute(query("backfill_table_done"), {"id": run_id, "table": table})


def record_results(connection: Connection, run_id: int) -> None:
    """What the run fixed: coverage after it, and the remainder by reason."""
    connection.execute(
        query("backfill_results"),
        {
            "id": run_id,
            "coverage_after": json.dumps(coverage_json(connection)),
            "remainder_after": json.dumps([list(row) for row in remainder_by_reason(connection)]),
        },
    )


def record_failure(connection: Connection, run_id: int, kind: str, message: str) -> None:
    status = run_row(connection, run_id).status
    connection.execute(query("backfill_error"), {"id": run_id, "kind": kind, "message": message})
    change_status(connection, run_id, status, "failed")


def active_runs(connection: Connection) -> list:
    return connection.execute(query("backfill_active_runs"), {"active": list(ACTIVE)}).all()


def mark_dead_runs_interrupted(connection: Connection) -> None:
    """Runs that say they are active died with their process: call this holding the lock."""
    for run in active_runs(connection):
        change_status(connection, run.id, run.status, "interrupted")
    connection.commit()


def settle_dead_runs(engine: Engine) -> None:
    """Mark the runs whose process died as interrupted, when no runner holds the lock now. Only
    a run that says it is active makes it try the lock."""
    with engine.connect() as connection:
        if not active_runs(connection):
            return
    with backfill_lock(engine, wait_ms=0) as held:
        if not held:
            return  # a runner is alive: its run really is in progress
        with engine.connect() as connection:
            mark_dead_runs_interrupted(connection)


def backfill_runs(connection: Connection, limit: int) -> list[dict]:
    return [dict(row) for row in connection.execute(query("backfill_runs"), {"limit": limit}).mappings()]


def request_cancel(connection: Connection, requested_by: str) -> int | None:
    """Ask the running (or paused) backfill to stop between two batches; its id, or None if none
    runs."""
    return _move_active_run(connection, CANCELLABLE, "cancelling", ("backfill_cancel", requested_by))


def request_pause(connection: Connection, requested_by: str) -> int | None:
    """Hold the running backfill before its next batch until it is resumed; its id, or None if
    none runs."""
    return _move_active_run(connection, PAUSABLE, "paused", ("backfill_pause", requested_by))


def request_resume(connection: Connection) -> int | None:
    """Let the paused backfill go on from where it waits; its id, or None if none is paused."""
    return _move_active_run(connection, RESUMABLE, "running")


def _move_active_run(
    connection: Connection, statuses: tuple[str, ...], new: str, asked_by: tuple[str, str] | None = None
) -> int | None:
    """Move the active run to `new` when its status is one of `statuses`, recording who asked with
    the query `asked_by[0]`; its id, or None (and the transaction ended) when there is none."""
    found = [run for run in active_runs(connection) if run.status in statuses]
    if not found:
        connection.rollback()
        return None
    run = found[0]
    change_status(connection, run.id, run.status, new)
    if asked_by:
        connection.execute(query(asked_by[0]), {"id": run.id, "requested_by": asked_by[1]})
    connection.commit()
    return run.id


def describe_active_run(connection: Connection) -> str:
    active = active_runs(connection)
    if not active:
        return "A backfill is already running in another process."
    run = active[-1]
    share = f", {run.rows_scanned * 100 // run.rows_total}% scanned" if run.rows_total else ""
    started = f" at {run.started_at:%Y-%m-%d %H:%M:%S %Z}" if run.started_at else ""
    return (
        f"A backfill is already running: run {run.id}, started by {run.started_by} "
        f"({run.source}){started}{share}."
    )


def coverage_json(connection: Connection) -> dict:
    return {
        row.table: {
            "total_legacy": row.total_legacy,
            "resolved_fk": row.resolved_fk,
            "resolved_pct": str(row.resolved_pct),
        }
        for row in table_coverage(connection)
    }
