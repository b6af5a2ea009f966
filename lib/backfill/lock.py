"""One backfill at a time, across processes and replicas: a session advisory lock, held for a
whole run on a connection of its own. PostgreSQL frees it when that connection ends, so a killed
process never leaves it held."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from lib.sql import query


@contextmanager
def backfill_lock(engine: Engine) -> Iterator[bool]:
    """Try to take the lock: yields whether this process holds it, and frees it on leaving."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock_connection:
        held = lock_connection.execute(query("backfill_lock")).scalar_one()
        try:
            yield held
        finally:
            if held:
                lock_connection.execute(query("backfill_unlock"))
