"""The status of a backfill run lives here: the allowed changes, each with its reason, and the
one function that writes a status."""

from sqlalchemy import Connection

from lib.sql import query

# Passed to the SQL that needs them: the statuses exist here only.
ACTIVE = ("queued", "running", "paused", "cancelling")
FINAL = ("succeeded", "failed", "cancelled", "interrupted")

TRANSITIONS = {
    ("queued", "running"): "the runner took the lock and began",
    ("queued", "interrupted"): "its process died before it began",
    ("running", "cancelling"): "an operator asked it to stop",
    ("running", "paused"): "an operator paused it",
    ("paused", "running"): "an operator resumed it",
    ("paused", "cancelling"): "an operator asked it to stop",
    ("paused", "succeeded"): "its last batch ended the run as it was paused",
    ("paused", "failed"): "the runner hit an error while paused",
    ("paused", "interrupted"): "its process died while paused",
    ("running", "succeeded"): "every table was scanned to the end",
    ("running", "failed"): "a batch kept failing, or the runner hit an error",
    ("running", "interrupted"): "its process died mid-run",
    ("cancelling", "cancelled"): "it stopped between two batches",
    ("cancelling", "succeeded"): "the last batch ended the run before it could stop",
    ("cancelling", "failed"): "a batch failed while it was stopping",
    ("cancelling", "interrupted"): "its process died while stopping",
}


# How a page shows each status: badge colour, and which statuses an operator may stop, pause
# or resume.
BADGES = {
    "queued": ("gray", ":material/schedule:"),
    "running": ("blue", ":material/sync:"),
    "paused": ("violet", ":material/pause_circle:"),
    "cancelling": ("orange", ":material/hourglass_top:"),
    "succeeded": ("green", ":material/check_circle:"),
    "failed": ("red", ":material/error:"),
    "cancelled": ("gray", ":material/cancel:"),
    "interrupted": ("orange", ":material/power_off:"),
}
CANCELLABLE = ("running", "paused")
PAUSABLE = ("running",)
RESUMABLE = ("paused",)


class IllegalTransition(RuntimeError):
    pass


def change_status(connection: Connection, run_id: int, old: str, new: str) -> None:
    """Move run `run_id` from `old` to `new`, or raise: the change must be allowed and the run
    must still be in `old` (another process may have moved it)."""
    if (old, new) not in TRANSITIONS:
        raise IllegalTransition(f"a backfill run cannot go from {old} to {new}")
    changed = connection.execute(
        query("backfill_status_change"), {"id": run_id, "old": old, "new": new, "final": list(FINAL)}
    )
    if changed.rowcount != 1:
        raise IllegalTransition(f"backfill run {run_id} is no longer {old}")
