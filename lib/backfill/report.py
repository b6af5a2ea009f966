"""Backfill runs as a person reads them: one row per run, with what it fixed."""

from lib.backfill.progress import progress_of
from lib.text import age, moment


def history_rows(runs: list[dict]) -> list[dict]:
    """One line per run, narrow enough for a laptop's screen; run_details() has the rest."""
    return [
        {
            "run": run["id"],
            "status": run["status"],
            "started": run["started_at"],
            "scanned": run["rows_scanned"],
            "resolved": run["rows_resolved"],
            "unresolved": run["rows_unresolved"],
        }
        for run in runs
    ]


def run_details(run: dict) -> dict[str, str]:
    """Everything about one run, each figure as text, for a two-column view."""

    return {
        "status": run["status"],
        "started by": f"{run['started_by']} ({run['source']})",
        "started": moment(run["started_at"]),
        "finished": moment(run["finished_at"]),
        "batch size": _batch_sizes(run),
        "rows scanned": f"{run['rows_scanned']:,}",
        "rows resolved": f"{run['rows_resolved']:,}",
        "rows still unresolved": f"{run['rows_unresolved']:,}",
        "rows written while the triggers were off, reconciled": f"{run['rows_reconciled']:,}",
        "rows per second while working": f"{progress_of(run).rows_per_second:,.0f}",
        "waited": _waited(run) or "no",
        "coverage before → after": _coverage_change(run) or "not measured",
        "resumed from run": str(run["resumed_from"] or "none"),
        "error": run["error_message"] or "none",
    }


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
