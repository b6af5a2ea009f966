"""The console's long jobs: each has a runs table in migration_ops, a session lock, and the
statuses its run may end in when it got to its end (its verdicts)."""

from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import Engine

from lib.db.session_lock import JOB_LOCK_WAIT_MS, session_lock
from lib.registry import JOB_RUNS_TABLES


@dataclass(frozen=True)
class Job:
    name: str  # the CLI's --job, and the audit's action
    verdicts: tuple[str, ...]
    # Whether a run is created queued and starts once the runner has the lock (the backfill), or
    # is created running (verify).
    queues: bool = True
    # A run whose process died goes on in its own row (verify), or in a new one (the backfill).
    resumes_in_place: bool = False

    @property
    def runs_table(self) -> str:
        return JOB_RUNS_TABLES[self.name]

    def lock(self, engine: Engine, wait_ms: int = JOB_LOCK_WAIT_MS) -> AbstractContextManager[bool]:
        """Take the job's lock, waiting up to `wait_ms` for it: yields whether this process holds
        it. One run of a job at a time, across processes and replicas."""
        return session_lock(engine, f"owner-console {self.name}", wait_ms)


BACKFILL = Job("backfill", ("succeeded",))
VERIFY = Job("verify", ("passed", "drift"), queues=False, resumes_in_place=True)
JOBS = {job.name: job for job in (BACKFILL, VERIFY)}
