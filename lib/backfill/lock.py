"""One backfill at a time, across processes and replicas (lib/db/session_lock.py)."""

from contextlib import AbstractContextManager

from sqlalchemy import Engine

from lib.db.session_lock import JOB_LOCK_WAIT_MS, session_lock

BACKFILL_LOCK = "owner-console backfill"


def backfill_lock(engine: Engine, wait_ms: int = JOB_LOCK_WAIT_MS) -> AbstractContextManager[bool]:
    """Take the backfill lock, waiting up to `wait_ms` for it: yields whether this process holds
    it."""
    return session_lock(engine, BACKFILL_LOCK, wait_ms)
