"""The runner: one run of a task, holding its job's lock. The task declares how its run starts
and what its batches do (lib/backfill/task.py, lib/drift/verify.py); the runner owns the rest.

Each batch commits with its counts, so that a closed browser or a second replica sees the
progress, and a process that dies leaves a consistent state: the next run marks it interrupted
and resumes where it stopped. Before each batch the run waits while an operator has paused it or
a throttle signal holds it (lib/jobs/throttle.py), and an operator's cancel stops it there. A batch
runs under the settings' timeouts and is retried with backoff when one stops it; the batch size
then tunes itself (lib/jobs/tuning.py), unless the task keeps it fixed.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Connection, Engine, Row
from sqlalchemy.exc import OperationalError

from lib.errors import Busy
from lib.jobs.job import Job
from lib.jobs.runs import mark_dead_runs_interrupted
from lib.jobs.settings import BatchSettings, apply_timeouts
from lib.jobs.status import change_status
from lib.jobs.throttle import RECHECK_SECONDS, Hold, ThrottleSettings, check_health_query, first_hold
from lib.jobs.tuning import Tuning, next_batch_size
from lib.sql import query
from lib.text import counted

# lock_not_available and query_canceled (statement_timeout): worth a retry after a pause.
RETRYABLE_SQLSTATES = {"55P03": "lock timeout", "57014": "statement timeout"}
BACKOFF_SECONDS = 0.5


class AlreadyRunning(Busy):
    """Another process holds the job's lock; the message names its run where it can."""

    outcome = "refused"


class Cancelled(Exception):
    """An operator asked the run to stop: it stops before its next batch."""


class BatchFailed(RuntimeError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Batch:
    """One batch's query as it ended: its row, the retries it took, and its last attempt's seconds."""

    row: Row
    retries: int
    seconds: float


@dataclass
class Run:
    """A run in progress, as its task's batches see it: the connection they run on, and the
    runner's steps around each batch."""

    connection: Connection
    job: Job
    id: int
    settings: BatchSettings
    throttle: ThrottleSettings
    tuning: Tuning | None  # None: every batch has the settings' size
    on_held: Callable[[], None]  # called each time the run looks again at what holds it
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = self.settings.batch_size

    def keyset(
        self,
        tables: Iterable[tuple[str, int | None]],
        batch: Callable[[str, int | None, int], tuple[int | None, int]],
        on_table_done: Callable[[str], None] = lambda table: None,
    ) -> None:
        """For each (table, id to start after): batch(table, after_id, size) once the run may go
        ahead, until a batch reads fewer rows than its size. A batch runs through `self.batch`,
        records itself through `self.record`, commits, and returns the last id and the rows it read."""
        for table, after_id in tables:
            while True:
                self.go_ahead(table)
                size = self.size
                last_id, read = batch(table, after_id, size)
                if read < size:
                    break
                after_id = last_id
                time.sleep(self.settings.pause_ms / 1000)
            on_table_done(table)

    def go_ahead(self, table: str) -> None:
        """Wait while an operator has paused the run, or a throttle signal holds its next batch on
        `table`, writing why each time it looks again; raise Cancelled when an operator has asked
        it to stop."""
        held = False
        while True:
            asked = self.connection.execute(
                query("job_asked", runs=self.job.runs_table), {"id": self.id}
            ).one()
            self.connection.rollback()
            if asked.status == "cancelling":
                break
            if asked.status == "paused":
                hold = Hold("paused", f"paused by {asked.paused_by}")
            else:
                hold = first_hold(self.connection, self.throttle, table)
            if hold is None:
                break
            self.connection.execute(
                query("job_hold", runs=self.job.runs_table),
                {"id": self.id, "signal": hold.signal, "detail": hold.detail},
            )
            self.connection.commit()
            held = True
            self.on_held()
            time.sleep(RECHECK_SECONDS)
        if held:
            self.connection.execute(query("job_release", runs=self.job.runs_table), {"id": self.id})
            self.connection.commit()
        if asked.status == "cancelling":
            raise Cancelled

    def batch(self, name: str, parameters: dict, what: str, table: str | None = None) -> Batch:
        """The query `name` (for `table`) in its own transaction, under the timeouts; retried with
        backoff on a timeout. `what` names it in the failure."""
        settings = self.settings
        for attempt in range(settings.max_retries + 1):
            try:
                apply_timeouts(self.connection, settings)
                started = time.monotonic()
                row = self.connection.execute(query(name, table), parameters).one()
                return Batch(row, attempt, time.monotonic() - started)
            except OperationalError as error:
                self.connection.rollback()
                kind = RETRYABLE_SQLSTATES.get(getattr(error.orig, "sqlstate", None))
                if kind is None:
                    raise
                if attempt == settings.max_retries:
                    raise BatchFailed(
                        kind,
                        f"{what} hit its {kind} {counted(settings.max_retries + 1, 'time')}; "
                        "a long transaction probably holds its rows",
                    ) from None
                time.sleep(BACKOFF_SECONDS * 2**attempt)
        raise AssertionError("unreachable")

    def record(
        self, batch: Batch, read: int, scanned: int, moved_to: tuple[str, int | None] | None = None
    ) -> None:
        """In the batch's transaction, beside the task's own counts: the rows it scanned, its
        retries and, when it moved the run on, the (table, last id) a resumed run starts after.
        The next batch's size follows from the `read` rows this one took its seconds for."""
        if self.tuning is not None:
            self.size = next_batch_size(self.size, read, batch.seconds, self.tuning)
        table, last_id = moved_to or (None, None)
        self.connection.execute(
            query("job_batch_done", runs=self.job.runs_table),
            {
                "id": self.id,
                "moved": moved_to is not None,
                "table": table,
                "last_id": last_id,
                "scanned": scanned,
                "retries": batch.retries,
            },
        )

    def table_done(self, table: str) -> None:
        """In the caller's transaction: a resumed run starts after `table`."""
        self.connection.execute(
            query("job_table_done", runs=self.job.runs_table), {"id": self.id, "table": table}
        )


class Task(Protocol):
    """A kind of job: how its run starts, and its batches."""

    job: Job

    def already_running(self, connection: Connection) -> str:
        """Why a start is refused while another process holds the job's lock, in one sentence."""

    def start(self, connection: Connection) -> int:
        """Create the run, or take up the one whose process died, in the runner's transaction; the
        run is running when this returns."""

    def work(self, run: Run) -> str:
        """The run's batches, through `run`; the verdict it reached (one of its job's verdicts)."""


def run_task(
    engine: Engine,
    task: Task,
    settings: BatchSettings,
    throttle: ThrottleSettings,
    tuning: Tuning | None,
    on_held: Callable[[Connection, int], None],
    on_created: Callable[[], None] = lambda: None,
) -> tuple[int, str]:
    """One run of `task`, holding its job's lock; its id and its final status: a verdict,
    cancelled, or failed when a batch kept hitting its timeouts. Any other error is recorded on
    the run, which fails, and raised. on_created() is called once the run is committed, when every
    viewer can see it; on_held(connection, run_id) each time a hold is written."""
    job = task.job
    with job.lock(engine) as held, engine.connect() as connection:
        if not held:
            raise AlreadyRunning(task.already_running(connection))
        check_health_query(connection, throttle)
        mark_dead_runs_interrupted(connection, job)
        run_id = task.start(connection)
        connection.commit()
        on_created()
        run = Run(connection, job, run_id, settings, throttle, tuning, lambda: on_held(connection, run_id))
        try:
            verdict = task.work(run)
        except Cancelled:
            connection.rollback()
            change_status(connection, job, run_id, "cancelling", "cancelled")
            connection.commit()
            return run_id, "cancelled"
        except BatchFailed as error:
            _record_failure(connection, job, run_id, error.kind, str(error))
            return run_id, "failed"
        except Exception as error:
            _record_failure(connection, job, run_id, type(error).__name__, _first_line(error))
            raise
        change_status(connection, job, run_id, _status(connection, job, run_id), verdict)
        connection.commit()
        return run_id, verdict


def _status(connection: Connection, job: Job, run_id: int) -> str:
    return connection.execute(query("job_asked", runs=job.runs_table), {"id": run_id}).one().status


def _record_failure(connection: Connection, job: Job, run_id: int, kind: str, message: str) -> None:
    connection.rollback()
    connection.execute(
        query("job_failure", runs=job.runs_table), {"id": run_id, "kind": kind, "message": message}
    )
    change_status(connection, job, run_id, _status(connection, job, run_id), "failed")
    connection.commit()


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]
