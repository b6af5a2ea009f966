"""Expensive read work that any visitor can start (the distinct-username count): shared and
rate-limited, so that clicking cannot load the database.

- One computation at a time per database: a transaction-level advisory lock named after the
  work, so console replicas queue behind each other too.
- Its result is reused by every viewer of the process while it is younger than the age the
  caller accepts; a caller that waited for someone else's computation takes that one.
"""

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine, text

T = TypeVar("T")


@dataclass(frozen=True)
class Computed(Generic[T]):
    value: T
    computed_at: datetime  # UTC
    key: Hashable
    _monotonic: float

    def age_seconds(self) -> float:
        return time.monotonic() - self._monotonic


class SharedRead(Generic[T]):
    def __init__(self, name: str, read: Callable[[Connection], T]):
        self._read = read
        self._lock_name = f"owner-console shared read {name}"
        self._lock = threading.Lock()
        self._latest: Computed[T] | None = None

    def latest(self, key: Hashable = None) -> Computed[T] | None:
        """The last result computed for `key`, of any age, or None."""
        latest = self._latest
        return latest if latest is not None and latest.key == key else None

    def fetch(self, engine: Engine, max_age_seconds: float, key: Hashable = None) -> Computed[T]:
        """The latest result for `key` if it is younger than max_age_seconds, else one computed now.
        `key` names what the result depends on: another key computes afresh."""
        with self._lock:  # this process's other callers wait here, then reuse what it computed
            latest = self.latest(key)
            if latest is not None and latest.age_seconds() < max_age_seconds:
                return latest
            with engine.begin() as connection:
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:work))"), {"work": self._lock_name}
                )
                value = self._read(connection)
            self._latest = Computed(value, datetime.now(UTC), key, time.monotonic())
            return self._latest
