"""Backfill runs as a person reads them: one row per run, with what it fixed."""

from lib.backfill.progress import progress_of
from lib.view.display import age


def history_rows(runs: list[dict]) -> list[dict]:
    return [
        {
            "run": run["id"],
            "status": run["status"],
            "started by": f"{run['started_by']} ({run['source']})",
            "started": run["started_at"],
            "finished": run["finished_at"],
            "batch size": _batch_sizes(run),
            "scanned": run["rows_scanned"],
            "resolved": run["rows_resolved"],
            "still unresolved": run["rows_unresolved"],
            "reconciled": run["rows_reconciled"],
            "rows/s": round(progress_of(run).rows_per_second),
            "waited": _waited(run),
            "coverage": _coverage_change(run),
            "resumed from": run["resumed_from"],
            "error": run["error_message"],
        }
        for run in runs
    ]


def _coverage_change(run: dict) -> str:
    before, after = run["coverage_before"] or {}, run["coverage_after"] or {}
    return "; ".join(
        f"{table} {figures['resolved_pct']}% → {after[table]['resolved_pct'] if table in after else '…'}%"
        for table, figures in before.items()
    )


def _batch_sizes(run: dict) -> str:
    """The starting batch size, and where the tuning took it."""
    now = run["batch_size_now"]
    return (
        f"{run['batch_size']:,}" if now in (None, run["batch_size"]) else f"{run['batch_size']:,} → {now:,}"
    )


def _waited(run: dict) -> str:
    """How long the run waited, paused or throttled, and for what last."""
    progress = progress_of(run)
    if not run["last_held_by"]:
        return ""
    return f"{age(progress.held_seconds)}, last for {run['last_held_by'].replace('_', ' ')}"
