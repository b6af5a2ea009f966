"""One job of a kind at a time (a backfill, a verify), across processes and replicas: a session
advisory lock named for the job, held for its whole run on a connection of its own. PostgreSQL
frees it when that connection ends, so a killed process never leaves it held.

The console also takes a job's lock, for the milliseconds it needs to mark the runs of a dead
process interrupted. A job therefore waits a little for its lock, so that such a check never turns
a start away; a job that really runs holds the lock far longer than that wait."""

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg.errors import LockNotAvailable
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from lib.sql import query

JOB_LOCK_WAIT_MS = 5_000


@contextmanager
def session_lock(engine: Engine, name: str, wait_ms: int = 0) -> Iterator[bool]:
    """Take the lock `name`, waiting up to `wait_ms` for it: yields whether this process holds it,
    and frees it on leaving."""
    with engine.connect() as lock_connection:
        held = _take(lock_connection, name, wait_ms)
        lock_connection.commit()
        try:
            yield held
        finally:
            if held:
                lock_connection.execute(query("session_unlock"), {"name": name})
                lock_connection.commit()


def _take(lock_connection: Connection, name: str, wait_ms: int) -> bool:
    if not wait_ms:
        return lock_connection.execute(query("session_lock"), {"name": name}).scalar_one()
    lock_connection.execute(query("session_lock_timeout"), {"lock_timeout": f"{wait_ms}ms"})
    try:
        lock_connection.execute(query("session_lock_wait"), {"name": name})
    except OperationalError as error:
        if not isinstance(error.orig, LockNotAvailable):
            raise
        lock_connection.rollback()
        return False
    return True
