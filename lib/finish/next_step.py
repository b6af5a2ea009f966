"""The forecast to the target and the next step, per table: whether a backfill run now reaches
the target, or how many rows remediation must resolve first, by reason; and, when a backfill can
reach it and the snapshots cover the window for a pace (lib.coverage.pace), when the target comes
at that pace. No backfill reaching it, the target comes with the remediation, not at a pace."""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection

from lib.coverage.counts import TARGET_PCT, rows_needed, table_coverage
from lib.coverage.forecast import forecast
from lib.coverage.pace import PACE_DAYS, Trend, trends
from lib.sql import query
from lib.text import age, counted

# resolved_pct is rounded to 2 places: it reads TARGET_PCT from this share upwards.
AT_TARGET, BACKFILL, REMEDIATE = "at target", "backfill", "remediate"


@dataclass(frozen=True)
class NextStep:
    table: str
    resolved_pct: Decimal  # now
    step: str  # AT_TARGET, BACKFILL or REMEDIATE
    backfill_resolves: int  # rows a backfill run now would resolve
    pct_after_backfill: Decimal
    rows_short: int  # rows still to resolve after that run to reach the target; 0 when it does
    remainder: dict[str, int] = field(default_factory=dict)  # what the run leaves, by reason
    last_run_seconds: float | None = None  # how long the last completed backfill run took
    trend: Trend | None = None  # over the last PACE_DAYS days of snapshots

    @property
    def days_to_target_at_pace(self) -> float | None:
        """None at the target, when remediation must come first, or without a rising pace."""
        pace = self.trend.pts_per_day if self.trend else None
        if self.step != BACKFILL or not pace or pace <= 0:
            return None
        return float((TARGET_PCT - self.resolved_pct) / pace)

    def advice(self) -> str:
        """One sentence a person acts on."""
        if self.step == AT_TARGET and self.backfill_resolves:
            return (
                f"At or above the {TARGET_PCT}% target; re-run the backfill, which resolves "
                f"{counted(self.backfill_resolves, 'more row')}."
            )
        if self.step == AT_TARGET:
            return (
                f"At or above the {TARGET_PCT}% target: the readiness gates on Finish say when the "
                "legacy column can go."
            )
        if self.step == BACKFILL:
            took = f" (the last run took {age(self.last_run_seconds)})" if self.last_run_seconds else ""
            return (
                f"Run the backfill{took}: it resolves {counted(self.backfill_resolves, 'row')} "
                f"and reaches {self.pct_after_backfill}%."
            )
        reasons = ", ".join(f"{reason}: {rows:,}" for reason, rows in self.remainder.items())
        after = (
            f"A backfill run now resolves {counted(self.backfill_resolves, 'row')} and reaches "
            f"{self.pct_after_backfill}%; "
            if self.backfill_resolves
            else "No backfill can reach it; "
        )
        return (
            f"{after}{counted(self.rows_short, 'more row')} must be remediated to reach {TARGET_PCT}% "
            f"(unresolved by reason: {reasons})."
        )

    def pace(self) -> str:
        """What the snapshots say of the way to the target, never against the advice: no ETA
        when remediation must come first, nor from a history shorter than the window."""
        if self.step == AT_TARGET:
            return ""
        if self.trend is None:
            return f"No pace yet: fewer than two coverage snapshots in the last {PACE_DAYS} days."
        moved = f"Coverage moved {self.trend.movement()}"
        if not self.trend.covers_the_window:
            return f"{moved}: too short a history for a pace, which takes {PACE_DAYS} days of snapshots."
        if self.step == REMEDIATE:
            return f"{moved}; the target comes with the remediation above, not at a pace."
        days = self.days_to_target_at_pace
        if days is None:
            return f"{moved}: coverage has not risen."
        return (
            f"Without a run, at the last {PACE_DAYS} days' pace ({self.trend.pts_per_day:+.2f} pts a "
            f"day), the target is about {age(days * 86_400)} away."
        )


def next_steps(connection: Connection) -> list[NextStep]:
    """One per migrated table, from the dry run of a backfill now and the coverage snapshots."""
    last_run_seconds = connection.execute(query("last_run_duration")).scalar_one_or_none()
    now = {row.table: row.resolved_pct for row in table_coverage(connection)}
    trend = trends(connection)
    steps = []
    for row in forecast(connection):
        now_pct = now[row.table]
        rows_short = max(0, rows_needed(row.total_legacy) - row.resolved_fk)
        if now_pct >= TARGET_PCT:
            step = AT_TARGET
        elif rows_short == 0:
            step = BACKFILL
        else:
            step = REMEDIATE
        steps.append(
            NextStep(
                row.table,
                now_pct,
                step,
                row.newly_resolved,
                row.resolved_pct,
                rows_short,
                row.remainder,
                float(last_run_seconds) if last_run_seconds is not None else None,
                trend[row.table],
            )
        )
    return steps
