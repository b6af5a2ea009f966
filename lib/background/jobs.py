"""The background jobs: work that no page and no scrape should wait for, done every few seconds in
one thread per process for as long as a console (`ui.serve`, or the first page it renders) or a
metrics server (`lib.cli metrics`) runs, from its start. Each job takes a connection and commits
what it writes; several processes share the work through each job's own advisory lock and its
"is it due" check, so running more of them duplicates nothing."""

import logging
import threading
from collections.abc import Callable, Sequence

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from lib.aliases.suggestions import compute_suggestions_if_due
from lib.coverage.snapshots import take_due_snapshots
from lib.jobs.job import JOBS as LONG_JOBS
from lib.jobs.runs import settle_dead_runs

# How often the jobs look for work: what falls due is done within this long.
TICK_SECONDS = 10

_log = logging.getLogger(__name__)


def settle_dead_jobs(connection: Connection) -> None:
    """Backfill and verify runs whose process died show as interrupted, not as running for ever."""
    for job in LONG_JOBS.values():
        settle_dead_runs(connection.engine, job)


# In this order each tick. The snapshots are the readiness evidence ("coverage held", "triggers
# on, sampled"): they are taken whether anyone looks or not.
JOBS = (take_due_snapshots, settle_dead_jobs, compute_suggestions_if_due)


class BackgroundJobs(threading.Thread):
    def __init__(self, engine: Engine, jobs: Sequence[Callable[[Connection], object]]) -> None:
        super().__init__(name="background-jobs", daemon=True)
        self.engine = engine
        self.jobs = jobs
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stopped.set()

    def run(self) -> None:
        while not self.stopped.is_set():
            for job in self.jobs:
                try:
                    with self.engine.connect() as connection:
                        job(connection)
                except (SQLAlchemyError, psycopg.Error) as error:  # psycopg's: a job's COPY
                    # The pages and the metrics already say that the database is away; try again next tick.
                    _log.warning("%s skipped: %s", job.__name__, str(error).splitlines()[0])
                except Exception:
                    # A fault of one job must not stop the others for the rest of the process.
                    _log.exception("%s failed", job.__name__)
            self.stopped.wait(TICK_SECONDS)


_running: BackgroundJobs | None = None
_starting = threading.Lock()


def start_background_jobs(engine: Engine) -> BackgroundJobs:
    """The process's background jobs on `engine`, started now unless they already run: one thread
    per process, whoever asks first (the launcher, a page, the metrics server)."""
    global _running
    with _starting:
        if _running is None or _running.stopped.is_set():
            _running = BackgroundJobs(engine, JOBS)
            _running.start()
        return _running
