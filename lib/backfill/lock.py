"""One backfill at a time, across processes and replicas (lib/db/session_lock.py)."""

from contextlib import AbstractContextManager

from sqlalchemy import Engine

from lib.db.session_lock import session_lock

BACKFILL_LOCK = "owner-console backfill"


def backfill_lock(engine: Engine) -> AbstractContextManager[bool]:
    """Try to take the backfill lock: yields whether this process holds it."""
    return session_lock(engine, BACKFILL_LOCK)
