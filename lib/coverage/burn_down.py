"""Each table's unresolved rows over its coverage snapshots, and where the recent pace takes them:
the Coverage page's burn-down."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lib.coverage.counts import ROUNDING, TARGET_PCT, TableCoverage, rows_needed
from lib.coverage.pace import PACE_DAYS, Trend
from lib.registry import MIGRATED_TABLES


@dataclass(frozen=True)
class BurnDown:
    table: str
    total_legacy: int
    allowed: int  # the most unresolved rows at which the table reads the target
    points: list[dict]  # taken_at, unresolved, series: "measured", then "forecast" if there is one
    trend: Trend | None  # None with fewer than two snapshots in the window

    def summary(self) -> str:
        """Where the table stands against the target, and when the forecast meets it."""
        last = [point for point in self.points if point["series"] == "measured"][-1]
        if last["unresolved"] <= self.allowed:
            return f"{last['unresolved']:,} unresolved rows: within the {self.allowed:,} the target allows."
        forecast = [point for point in self.points if point["series"] == "forecast"]
        if not forecast:
            if self.trend is None:
                why = f"fewer than two coverage snapshots in the last {PACE_DAYS} days"
            elif not self.trend.covers_the_window:
                why = f"coverage moved {self.trend.movement()}, too short a history for a pace"
            else:
                why = f"coverage has not risen over the last {PACE_DAYS} days of snapshots"
            return f"{last['unresolved']:,} unresolved rows, {self.allowed:,} allowed. No forecast: {why}."
        return (
            f"{last['unresolved']:,} unresolved rows, {self.allowed:,} allowed. At the last "
            f"{PACE_DAYS} days' pace, the target comes about {forecast[-1]['taken_at']:%Y-%m-%d %H:%M} UTC."
        )

    def allowance(self) -> str:
        """How the allowance follows the playbook's rounding, with this table's figures."""
        strict = self.total_legacy * (100 - TARGET_PCT) / 100
        return (
            f"{self.table}: {self.allowed:,} of {self.total_legacy:,} rows may stay unresolved, the most "
            f"at which resolved_pct, rounded to 2 decimals as the playbook's check does, reads "
            f"{TARGET_PCT:.2f}% (from {TARGET_PCT - ROUNDING}% up); a strict {100 - TARGET_PCT}% "
            f"would be {strict:,.0f}."
        )


def burn_downs(
    history: list[dict], trend: dict[str, Trend | None], now: list[TableCoverage] = ()
) -> list[BurnDown]:
    """Per table with snapshots in `history` (snapshot_history() rows, oldest first): its measured
    unresolved rows, ending with the live figure of `now` (table_coverage() rows) where given, so
    that the chart and the live counts beside it agree; and, while it is above what the target
    allows and its `trend` (lib.coverage.pace.trends()) gives a rising pace, a straight forecast
    from the last point to the target at that pace."""
    live = {row.table: row for row in now}
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
        if table in live:
            total = live[table].total_legacy
            unresolved = total - live[table].resolved_fk
            points.append({"taken_at": datetime.now(UTC), "unresolved": unresolved, "series": "measured"})
        allowed = total - rows_needed(total)
        last = points[-1]
        pace = trend[table].pts_per_day if trend.get(table) else None
        if pace and pace > 0 and last["unresolved"] > allowed:
            rows_per_day = float(pace) * total / 100
            days = (last["unresolved"] - allowed) / rows_per_day
            reached = last["taken_at"] + timedelta(days=days)
            points += [
                {**last, "series": "forecast"},
                {"taken_at": reached, "unresolved": allowed, "series": "forecast"},
            ]
        charts.append(BurnDown(table, total, allowed, points, trend.get(table)))
    return charts
