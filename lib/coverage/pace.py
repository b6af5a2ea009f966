"""How a table's coverage moved over its recent snapshots, and whether that is a pace.

A pace, points a day, is read only from a history that covers the whole window (PACE_DAYS): over
twenty minutes, two one-off fixes would read as several points a day. A shorter history says how
far coverage moved and over how long, and makes no forecast.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection

from lib.coverage.snapshots import SNAPSHOT_INTERVAL_SECONDS
from lib.registry import MIGRATED_TABLES
from lib.sql import query
from lib.text import age

PACE_DAYS = 7
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Trend:
    """A table's first and latest coverage snapshot in the window, and the time between them."""

    first_pct: Decimal
    last_pct: Decimal
    span_seconds: float

    @property
    def moved(self) -> Decimal:
        return self.last_pct - self.first_pct

    @property
    def covers_the_window(self) -> bool:
        # The first snapshot in the window is at most one interval after the window's start.
        return self.span_seconds >= PACE_DAYS * DAY_SECONDS - SNAPSHOT_INTERVAL_SECONDS

    @property
    def pts_per_day(self) -> Decimal | None:
        """The pace, when the history covers the window; else None."""
        if not self.covers_the_window:
            return None
        return self.moved / Decimal(self.span_seconds) * DAY_SECONDS

    def over(self) -> str:
        """'over the last 7 days' or, for a shorter history, 'over the 20 min of snapshots so far'."""
        if self.covers_the_window:
            return f"over the last {PACE_DAYS} days"
        return f"over the {age(self.span_seconds)} of snapshots so far"

    def movement(self) -> str:
        """'+0.46 pts (98.35% → 98.81%) over the 20 min of snapshots so far'."""
        return f"{self.moved:+.2f} pts ({self.first_pct}% → {self.last_pct}%) {self.over()}"


def trends(connection: Connection) -> dict[str, Trend | None]:
    """Per table, its trend over the last PACE_DAYS days of snapshots; None with fewer than two."""
    found = {}
    for table in MIGRATED_TABLES:
        row = connection.execute(query("coverage_pace"), {"table": table, "days": PACE_DAYS}).one()
        found[table] = (
            Trend(row.first_pct, row.last_pct, float(row.span_seconds))
            if row.first_pct is not None and row.span_seconds
            else None
        )
    return found
