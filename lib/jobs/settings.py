"""Batch settings of a job's run: defaults, bounds, and one message per bad value. The check of a
bounded number, and its error, serve the tuning and the throttle settings too."""

from dataclasses import dataclass, fields

from sqlalchemy import Connection

from lib.errors import BadInput
from lib.sql import query


class RunSettingsError(BadInput):
    """A setting of a run (its batches, their tuning, its throttle) outside its bounds; the message
    names it, its bounds and the value given."""


def require_within(value: object, low: float, high: float, says: str, whole: bool = True) -> None:
    """Raise RunSettingsError(says) unless `value` is a number (a whole one when `whole`) from
    `low` to `high`."""
    kinds = int if whole else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        raise RunSettingsError(says)


@dataclass(frozen=True)
class BatchSettings:
    # 10,000 rows commit in about 0.2 s at 7M rows (docs/PERFORMANCE.md): a writer waiting on one
    # of its row locks waits little, and the per-batch overhead stays small.
    batch_size: int = 10_000
    # A breather between batches for replicas and autovacuum, when they need one. Each batch
    # commits and releases its locks anyway; by default the run goes at full speed.
    pause_ms: int = 0
    # How long a batch waits for a row or table lock before it gives up and retries.
    lock_timeout_ms: int = 2_000
    # How long one batch may run at all.
    statement_timeout_ms: int = 30_000
    # Retries of a batch that hit a timeout, with doubling backoff, before the run fails.
    max_retries: int = 3

    def __post_init__(self) -> None:
        for field in fields(self):
            low, high = BOUNDS[field.name]
            value = getattr(self, field.name)
            name = field.name.replace("_", " ")
            says = f"{name} must be a whole number from {low:,} to {high:,}; got {value!r}."
            require_within(value, low, high, says)


BOUNDS = {
    "batch_size": (100, 100_000),
    "pause_ms": (0, 60_000),
    "lock_timeout_ms": (100, 60_000),
    "statement_timeout_ms": (1_000, 3_600_000),
    "max_retries": (0, 10),
}


def apply_timeouts(connection: Connection, settings: BatchSettings) -> None:
    """The settings' lock and statement timeouts, for the rest of the caller's transaction."""
    connection.execute(
        query("job_timeouts"),
        {
            "lock_timeout": f"{settings.lock_timeout_ms}ms",
            "statement_timeout": f"{settings.statement_timeout_ms}ms",
        },
    )
