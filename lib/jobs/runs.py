"""A job's runs in progress: finding them, an operator's pause, resume and cancel, and the settling
of those whose process died. Each write is in the caller's transaction unless it says otherwise."""

from sqlalchemy import Connection, Engine

from lib.jobs.job import Job
from lib.jobs.status import ACTIVE, change_status
from lib.sql import query


def active_runs(connection: Connection, job: Job) -> list:
    return connection.execute(query("job_active_runs", runs=job.runs_table), {"active": list(ACTIVE)}).all()


def steer(
    connection: Connection, job: Job, statuses: tuple[str, ...], new: str, requested_by: str
) -> int | None:
    """Move the job's run in progress to `new` (paused, running, cancelling) when its status is one
    of `statuses`, keeping who asked; its id, or None when there is no such run. The caller
    commits."""
    found = [run for run in active_runs(connection, job) if run.status in statuses]
    if not found:
        return None
    run = found[-1]
    change_status(connection, job, run.id, run.status, new)
    connection.execute(
        query("job_asked_by", runs=job.runs_table), {"id": run.id, "new": new, "requested_by": requested_by}
    )
    return run.id


def mark_dead_runs_interrupted(connection: Connection, job: Job) -> None:
    """Runs that say they are active died with their process: call this holding the job's lock.
    Commits."""
    for run in active_runs(connection, job):
        change_status(connection, job, run.id, run.status, "interrupted")
    connection.commit()


def settle_dead_runs(engine: Engine, job: Job) -> None:
    """Mark the job's runs whose process died as interrupted, when no runner holds its lock now.
    Only a run that says it is active makes it try the lock."""
    with engine.connect() as connection:
        if not active_runs(connection, job):
            return
    with job.lock(engine, wait_ms=0) as held:
        if not held:
            return  # a runner is alive: its run really is in progress
        with engine.connect() as connection:
            mark_dead_runs_interrupted(connection, job)
