"""The status of a job's run lives here: every status, the allowed changes with their reasons,
how a page shows each one, and the one function that writes a status."""

from sqlalchemy import Connection

from lib.jobs.job import Job
from lib.sql import query

# Passed to the SQL that needs them: the statuses exist here only. A job's verdicts (lib/jobs/job.py)
# end a run too.
ACTIVE = ("queued", "running", "paused", "cancelling")
STOPPED = ("failed", "cancelled", "interrupted")
# Which statuses an operator may stop, pause or resume.
CANCELLABLE = ("running", "paused")
PAUSABLE = ("running",)
RESUMABLE = ("paused",)

# Each status a run may move to: from which statuses, and why.
_CHANGES_TO = {
    "running": {
        "queued": "the runner took the lock and began",
        **dict.fromkeys(RESUMABLE, "an operator resumed it"),
    },
    "paused": dict.fromkeys(PAUSABLE, "an operator paused it"),
    "cancelling": dict.fromkeys(CANCELLABLE, "an operator asked it to stop"),
    "cancelled": {"cancelling": "it stopped between two batches"},
    "failed": {
        "running": "a batch kept failing, or the runner hit an error",
        "paused": "the runner hit an error while paused",
        "cancelling": "a batch failed while it was stopping",
    },
    "interrupted": {
        "queued": "its process died before it began",
        "running": "its process died mid-run",
        "paused": "its process died while paused",
        "cancelling": "its process died while stopping",
    },
}
# A run that got to its end takes its verdict from whichever of these it is in.
_TO_VERDICT = {
    "running": "every table was scanned to the end",
    "paused": "its last batch ended the run as it was paused",
    "cancelling": "the last batch ended the run before it could stop",
}

# How a page shows each status: badge colour and icon.
BADGES = {
    "queued": ("gray", ":material/schedule:"),
    "running": ("blue", ":material/sync:"),
    "paused": ("violet", ":material/pause_circle:"),
    "cancelling": ("orange", ":material/hourglass_top:"),
    "succeeded": ("green", ":material/check_circle:"),
    "passed": ("green", ":material/check_circle:"),
    "drift": ("red", ":material/error:"),
    "failed": ("red", ":material/error:"),
    "cancelled": ("gray", ":material/cancel:"),
    "interrupted": ("orange", ":material/power_off:"),
}


class IllegalTransition(RuntimeError):
    pass


def transitions(job: Job) -> dict[tuple[str, str], str]:
    """Every change of status a run of `job` may make, with its reason."""
    changes = {
        (old, new): reason
        for new, reasons in _CHANGES_TO.items()
        for old, reason in reasons.items()
        if job.queues or old != "queued"
    }
    changes |= {(old, verdict): reason for verdict in job.verdicts for old, reason in _TO_VERDICT.items()}
    if job.resumes_in_place:
        changes["interrupted", "running"] = "a new start took it up where its process died"
    return changes


def statuses(job: Job) -> tuple[str, ...]:
    """Every status a run of `job` may have: the runs table's check holds these."""
    return tuple(dict.fromkeys(status for change in transitions(job) for status in change))


def final(job: Job) -> tuple[str, ...]:
    return (*job.verdicts, *STOPPED)


def change_status(connection: Connection, job: Job, run_id: int, old: str, new: str) -> None:
    """Move run `run_id` of `job` from `old` to `new`, or raise: the change must be allowed and the
    run must still be in `old` (another process may have moved it). In the caller's transaction."""
    if (old, new) not in transitions(job):
        raise IllegalTransition(f"a {job.name} run cannot go from {old} to {new}")
    changed = connection.execute(
        query("job_status_change", runs=job.runs_table),
        {"id": run_id, "old": old, "new": new, "final": list(final(job))},
    )
    if changed.rowcount != 1:
        raise IllegalTransition(f"{job.name} run {run_id} is no longer {old}")
