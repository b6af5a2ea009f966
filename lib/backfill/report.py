"""Backfill runs as a person reads them: one row per run, with what it fixed."""

from lib.backfill.progress import progress_of


def history_rows(runs: list[dict]) -> list[dict]:
    return [
        {
            "run": run["id"],
            "status": run["status"],
            "started by": f"{run['started_by']} ({run['source']})",
            "started": run["started_at"],
            "finished": run["finished_at"],
            "batch size": run["batch_size"],
            "scanned": run["rows_scanned"],
            "resolved": run["rows_resolved"],
            "still unresolved": run["rows_unresolved"],
            "reconciled": run["rows_reconciled"],
            "rows/s": round(progress_of(run).rows_per_second),
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
