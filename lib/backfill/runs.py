"""The runs table, migration_ops.backfill_runs: every read and write of a run but its status,
which lib/jobs/status.py changes. Each write is in the caller's transaction."""

import json

from sqlalchemy import Connection

from lib.backfill.progress import Progress
from lib.coverage.counts import table_coverage
from lib.jobs.job import BACKFILL
from lib.jobs.runs import active_runs
from lib.jobs.settings import BatchSettings
from lib.jobs.status import change_status
from lib.jobs.throttle import ThrottleSettings
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
    change_status(connection, BACKFILL, run_id, "queued", "running")
    return run_id


def run_row(connection: Connection, run_id: int):
    return connection.execute(query("backfill_run"), {"id": run_id}).one()


def record_batch(connection: Connection, run_id: int, batch, next_batch_size: int):
    """Add a batch's own counts, and the size the next one will have; the run's totals after it."""
    return connection.execute(
        query("backfill_progress"),
        {
            "id": run_id,
            "resolved": batch.resolved,
            "unresolved": batch.unresolved,
            "next_batch_size": next_batch_size,
        },
    ).one()


def record_reconciled(connection: Connection, run_id: int, reconciled: int) -> None:
    connection.execute(query("backfill_reconciled"), {"id": run_id, "reconciled": reconciled})


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


def backfill_runs(connection: Connection, limit: int) -> list[dict]:
    return [dict(row) for row in connection.execute(query("backfill_runs"), {"limit": limit}).mappings()]


def describe_active_run(connection: Connection) -> str:
    active = active_runs(connection, BACKFILL)
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
