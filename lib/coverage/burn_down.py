"""Each table's unresolved rows over its coverage snapshots, and where the recent pace takes them:
the Coverage page's burn-down."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from lib.finish.next_step import PACE_DAYS, rows_needed
from lib.registry import MIGRATED_TABLES


@dataclass(frozen=True)
class BurnDown:
    table: str
    allowed: int  # the most unresolved rows at which the table reads the target
    points: list[dict]  # taken_at, unresolved, series: "measured", then "forecast" if there is one
    pace: Decimal | None  # resolved_pct points a day; None with fewer than two snapshots

    def summary(self) -> str:
        """Where the table stands against the target, and when the forecast meets it."""
        last = [point for point in self.points if point["series"] == "measured"][-1]
        if last["unresolved"] <= self.allowed:
            return f"{last['unresolved']:,} unresolved rows: within the {self.allowed:,} the target allows."
        forecast = [point for point in self.points if point["series"] == "forecast"]
        if not forecast:
            why = (
                f"fewer than two coverage snapshots in the last {PACE_DAYS} days"
                if self.pace is None
                else f"coverage has not risen over the last {PACE_DAYS} days of snapshots"
            )
            return f"{last['unresolved']:,} unresolved rows, {self.allowed:,} allowed. No forecast: {why}."
        return (
            f"{last['unresolved']:,} unresolved rows, {self.allowed:,} allowed. At the last "
            f"{PACE_DAYS} days' pace, the target comes about {forecast[-1]['taken_at']:%Y-%m-%d %H:%M} UTC."
        )


def burn_downs(history: list[dict], pace: dict[str, Decimal | None]) -> list[BurnDown]:
    """Per table with snapshots in `history` (snapshot_history() rows, oldest first): its measured
    unresolved rows, and, while it is above what the target allows and its `pace` (resolved_pct
    points a day, next_step.pace_by_table()) is rising, a straight forecast from the last snapshot
    to the target at that pace."""
    charts = []
    for table in MIGRATED_TABLES:
        snapshots = [row for row in history if row["entity_type"] == table]
        if not snapshots:
            continue
        points = [
            {
                "taken_at": row["taken_at"],
                "unresolved": row["total_legacy"] - row["resolved_fk"],
                "series": "measured",
            }
            for row in snapshots
        ]
        total = snapshots[-1]["total_legacy"]
        allowed = total - rows_needed(total)
        last = points[-1]
        if pace.get(table) and pace[table] > 0 and last["unresolved"] > allowed:
            rows_per_day = float(pace[table]) * total / 100
            days = (last["unresolved"] - allowed) / rows_per_day
            reached = last["taken_at"] + timedelta(days=days)
            points += [
                {**last, "series": "forecast"},
                {"taken_at": reached, "unresolved": allowed, "series": "forecast"},
            ]
        charts.append(BurnDown(table, allowed, points, pace.get(table)))
    return charts
