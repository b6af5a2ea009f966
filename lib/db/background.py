"""The console's background jobs: work that no page should wait for, done every few seconds in one
thread per console process for as long as it runs. Each job takes a connection, commits what it
writes, and shares its work with other console processes through an advisory lock of its own."""

import logging
import threading
from collections.abc import Callable, Sequence

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

# How often the jobs look for work: what falls due is done within this long.
TICK_SECONDS = 10

_log = logging.getLogger(__name__)


class BackgroundJobs(threading.Thread):
    def __init__(self, engine: Engine, jobs: Sequence[Callable[[Connection], object]]) -> None:
        super().__init__(name="console-background-jobs", daemon=True)
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
                    # The pages already say that the database is away; try again next tick.
                    _log.warning("%s skipped: %s", job.__name__, str(error).splitlines()[0])
                except Exception:
                    # A fault of one job must not stop the others for the rest of the process.
                    _log.exception("%s failed", job.__name__)
            self.stopped.wait(TICK_SECONDS)
