"""One job of a kind at a time (a backfill, a verify), across processes and replicas: a session
advisory lock named for the job, held for its whole run on a connection of its own. PostgreSQL
frees it when that connection ends, so a killed process never leaves it held."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from lib.sql import query


@contextmanager
def session_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Try to take the lock `name`: yields whether this process holds it, and frees it on leaving."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock_connection:
        held = lock_connection.execute(query("session_lock"), {"name": name}).scalar_one()
        try:
            yield held
        finally:
            if held:
                lock_connection.execute(query("session_unlock"), {"name": name})
