"""Altair charts of the console; every coverage chart carries the 99% target as a rule."""

import altair as alt
import pandas as pd

from lib.coverage.counts import TARGET_PCT, TableCoverage

TARGET_COLOR = "#d62728"


def _target_rule() -> tuple[alt.Chart, alt.Chart]:
    """The target as a dashed rule across the chart, and its label."""
    target = alt.datum(float(TARGET_PCT))
    rule = alt.Chart().mark_rule(color=TARGET_COLOR, strokeDash=[6, 4], size=2).encode(y=target)
    label = (
        alt.Chart()
        .mark_text(align="left", dx=4, dy=-6, color=TARGET_COLOR)
        .encode(y=target, x=alt.value(0), text=alt.value(f"target {TARGET_PCT}%"))
    )
    return rule, label


def _pct_scale(values) -> alt.Scale:
    low = min([float(TARGET_PCT), *values])
    return alt.Scale(domain=[max(0.0, low - 1), 100], clamp=True)


def coverage_bars(coverage: list[TableCoverage]) -> alt.LayerChart:
    data = pd.DataFrame(
        {
            "table": [row.table for row in coverage],
            "resolved_pct": [float(row.resolved_pct) for row in coverage],
            "status": ["at or above target" if row.meets_target else "below target" for row in coverage],
        }
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("table:N", title=None),
            y=alt.Y("resolved_pct:Q", title="resolved_pct (%)", scale=_pct_scale(data["resolved_pct"])),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(
                    domain=["at or above target", "below target"], range=["#2ca02c", TARGET_COLOR]
                ),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=["table", "resolved_pct", "status"],
        )
    )
    return alt.layer(bars, *_target_rule())


def coverage_history(snapshots: list[dict]) -> alt.LayerChart:
    """Lines of resolved_pct over time per table, from snapshot_history() rows."""
    snapshots = pd.DataFrame(snapshots).astype({"resolved_pct": float})
    lines = (
        alt.Chart(snapshots)
        .mark_line(point=True)
        .encode(
            x=alt.X("taken_at:T", title=None),
            y=alt.Y("resolved_pct:Q", title="resolved_pct (%)", scale=_pct_scale(snapshots["resolved_pct"])),
            color=alt.Color("entity_type:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["taken_at:T", "entity_type", "resolved_pct", "resolved_fk", "total_legacy"],
        )
    )
    return alt.layer(lines, *_target_rule())


def remainder_bars(remainder: list[tuple[str, str, int]]) -> alt.Chart:
    """Unresolved rows per table, stacked by reason, from remainder_by_reason() rows."""
    remainder = pd.DataFrame(remainder, columns=["entity_type", "reason", "cnt"])
    return (
        alt.Chart(remainder)
        .mark_bar()
        .encode(
            y=alt.Y("entity_type:N", title=None),
            x=alt.X("cnt:Q", title="unresolved rows"),
            color=alt.Color("reason:N", legend=alt.Legend(orient="bottom")),
            tooltip=["entity_type", "reason", "cnt"],
        )
    )
