"""Altair charts of the console.

Bars start at 0, or at the target when they show the distance to it; a line chart that zooms its
axis says so in the axis title; every value lies inside its axis. Labels are never rotated nor
shortened, times read in 24-hour UTC to the unit that tells the ticks apart, and every reason and
table has one colour, from the registry, whichever of them a chart holds.
"""

import itertools

import altair as alt
import pandas as pd

from lib.coverage.burn_down import BurnDown
from lib.coverage.counts import TARGET_PCT, TableCoverage
from lib.fleet.status import FleetStatus
from lib.registry import MIGRATED_TABLES, REASONS

TARGET_COLOR = "#d62728"
MET_COLOR = "#2ca02c"
# One colour per reason and per table, on every chart, whichever of them the data holds; tables
# beyond the palette's length take its colours again, in order.
REASON_COLORS = dict(zip(REASONS, ("#e377c2", "#ff7f0e", "#7f7f7f"), strict=True))
TABLE_PALETTE = ("#1f77b4", "#17becf", "#9467bd", "#8c564b", "#bcbd22", "#aec7e8")
TABLE_COLORS = dict(zip(MIGRATED_TABLES, itertools.cycle(TABLE_PALETTE)))
# A horizontal bar chart's height in pixels, its bars and then its axis and legend. Streamlit fits
# the whole chart, legend included, into the height it is given, so pages pass this.
BAR_STEP_PX = 44
AXIS_AND_LEGEND_PX = 110


def bar_chart_height(bars: int) -> int:
    return BAR_STEP_PX * bars + AXIS_AND_LEGEND_PX


def _legend(title: str | None = None) -> alt.Legend:
    return alt.Legend(title=title, orient="bottom", labelLimit=0)


def _names_axis() -> alt.Axis:
    return alt.Axis(labelAngle=0, labelLimit=0, title=None)


def _utc_time(field: str, times: pd.Series) -> alt.X:
    """A time axis in 24-hour UTC, to the second over less than an hour (ticks minutes apart would
    read alike), with the day once `times` span more than a day. Under a minute of snapshots, the
    axis spans a minute around them. Vega-Lite drops formatType "utc" unless custom format types
    are on, so the labels are formatted by expression."""
    first, last = pd.to_datetime(times.min(), utc=True), pd.to_datetime(times.max(), utc=True)
    span = last - first
    form = _time_format(span)
    if span < pd.Timedelta(minutes=1):
        middle = first + span / 2
        domain = [(middle + pd.Timedelta(seconds=side)).isoformat() for side in (-30, 30)]
        scale = alt.Scale(type="utc", domain=domain)
    else:
        scale = alt.Scale(type="utc")
    return alt.X(
        f"{field}:T",
        title="UTC",
        scale=scale,
        axis=alt.Axis(labelExpr=f"utcFormat(datum.value, '{form}')", labelAngle=0, labelOverlap=True),
    )


def _time_format(span: pd.Timedelta) -> str:
    if span < pd.Timedelta(hours=1):
        return "%H:%M:%S"
    return "%H:%M" if span <= pd.Timedelta(days=1) else "%d %b %H:%M"


def _utc_text(times: pd.Series) -> pd.Series:
    """Times as a tooltip shows them."""
    return pd.to_datetime(times, utc=True).dt.strftime("%Y-%m-%d %H:%M:%S UTC")


def _colors(palette: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(palette), range=list(palette.values()))


# The distance axis of coverage_bars spans at least this many points either side of the target.
DISTANCE_AXIS_MIN_PTS = 0.5


def coverage_bars(coverage: list[TableCoverage]) -> alt.LayerChart:
    """Each table's distance to the target in points, as a bar from the target (0) to resolved_pct:
    right of it at or above the target, left below it. Near 99% the figures differ by tenths of a
    point, which bars from 0 to 100 would draw the same length. Each bar is labelled with its
    resolved_pct and distance; the axis spans every bar."""
    data = pd.DataFrame(
        {
            "table": [row.table for row in coverage],
            "distance": [float(row.resolved_pct - TARGET_PCT) for row in coverage],
            "resolved_pct": [float(row.resolved_pct) for row in coverage],
            "label": [f"{row.resolved_pct}% ({row.resolved_pct - TARGET_PCT:+.2f} pts)" for row in coverage],
            "status": ["at or above target" if row.meets_target else "below target" for row in coverage],
        }
    )
    reach = max(DISTANCE_AXIS_MIN_PTS, *(abs(distance) * 1.6 for distance in data["distance"]))
    base = alt.Chart(data).encode(
        y=alt.Y("table:N", axis=_names_axis(), sort=list(MIGRATED_TABLES)),
        x=alt.X(
            "distance:Q",
            title=f"points from the {TARGET_PCT}% target (resolved_pct - {TARGET_PCT})",
            scale=alt.Scale(domain=[-reach, reach], nice=False),
            axis=alt.Axis(format="+.2f"),
        ),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=["at or above target", "below target"], range=[MET_COLOR, TARGET_COLOR]),
            legend=_legend(),
        ),
        tooltip=["table", "resolved_pct", alt.Tooltip("distance:Q", format="+.2f", title="pts from target")],
    )
    # Each label sits beyond its bar's end, on the side the bar grows to.
    above = alt.datum.distance >= 0
    labels = alt.layer(
        base.transform_filter(above).mark_text(align="left", dx=6, fontWeight="bold").encode(text="label:N"),
        base.transform_filter(~above)
        .mark_text(align="right", dx=-6, fontWeight="bold")
        .encode(text="label:N"),
    )
    target = alt.datum(0)
    rule = alt.Chart().mark_rule(color="black", strokeDash=[6, 4], size=2).encode(x=target)
    rule_label = (
        alt.Chart()
        .mark_text(align="left", baseline="bottom", dx=4, dy=-2, color="black")
        .encode(x=target, y=alt.value(0), text=alt.value(f"target {TARGET_PCT}%"))
    )
    return alt.layer(bars, labels, rule, rule_label)


def coverage_history(snapshots: list[dict]) -> alt.LayerChart:
    """Lines of resolved_pct over time per table, from snapshot_history() rows. The axis is zoomed
    to the range the lines and the target need, and its title says where it starts."""
    snapshots = pd.DataFrame(snapshots).astype({"resolved_pct": float})
    snapshots["at"] = _utc_text(snapshots["taken_at"])
    low = max(0.0, min(float(TARGET_PCT), snapshots["resolved_pct"].min()) - 1)
    lines = (
        alt.Chart(snapshots)
        .mark_line(point=True)
        .encode(
            x=_utc_time("taken_at", snapshots["taken_at"]),
            y=alt.Y(
                "resolved_pct:Q",
                title=f"resolved_pct (%), axis from {low:g}",
                scale=alt.Scale(domain=[low, 100], zero=False),
            ),
            color=alt.Color("entity_type:N", scale=_colors(TABLE_COLORS), legend=_legend()),
            tooltip=[
                "at",
                "entity_type",
                "resolved_pct",
                "resolved_fk",
                "total_legacy",
            ],
        )
    )
    target = alt.datum(float(TARGET_PCT))
    rule = alt.Chart().mark_rule(color=TARGET_COLOR, strokeDash=[6, 4], size=2).encode(y=target)
    label = (
        alt.Chart()
        .mark_text(align="left", dx=4, dy=-6, color=TARGET_COLOR)
        .encode(y=target, x=alt.value(0), text=alt.value(f"target {TARGET_PCT}%"))
    )
    return alt.layer(lines, rule, label)


def burn_down(table: BurnDown) -> alt.LayerChart:
    """One table's unresolved rows over time from 0 up, the most the target allows as a dashed
    rule, and the forecast at the recent pace as a dashed line to where it meets that rule."""
    points = pd.DataFrame(table.points)
    points["at"] = _utc_text(points["taken_at"])
    color = TABLE_COLORS[table.table]
    series = [kind for kind in ("measured", "forecast") if kind in set(points["series"])]
    # The axis is set to reach past the highest of the rows and the rule, so that both lie inside it.
    top = max(int(points["unresolved"].max()), table.allowed, 1) * 1.1
    lines = alt.Chart(points).encode(
        x=_utc_time("taken_at", points["taken_at"]),
        y=alt.Y("unresolved:Q", title="unresolved rows", scale=alt.Scale(domain=[0, top], nice=True)),
        strokeDash=alt.StrokeDash(
            "series:N",
            scale=alt.Scale(domain=series, range=[[1, 0], [6, 4]][: len(series)]),
            legend=_legend(),
        ),
        tooltip=[
            "at",
            "series",
            alt.Tooltip("unresolved:Q", format=","),
        ],
    )
    allowed = alt.datum(table.allowed)
    rule = alt.Chart().mark_rule(color=TARGET_COLOR, strokeDash=[6, 4], size=2).encode(y=allowed)
    label = (
        alt.Chart()
        .mark_text(align="left", dx=4, dy=-6, color=TARGET_COLOR)
        .encode(y=allowed, x=alt.value(0), text=alt.value(f"target {TARGET_PCT}%: {table.allowed:,} rows"))
    )
    return alt.layer(lines.mark_line(color=color, point=True), rule, label)


def remainder_bars(remainder: list[tuple[str, str, int]]) -> alt.Chart:
    """Unresolved rows per table, stacked by reason, from remainder_by_reason() rows."""
    remainder = pd.DataFrame(remainder, columns=["entity_type", "reason", "cnt"])
    return (
        alt.Chart(remainder)
        .mark_bar()
        .encode(
            y=alt.Y("entity_type:N", axis=_names_axis(), sort=list(MIGRATED_TABLES)),
            x=alt.X("cnt:Q", title="unresolved rows", scale=alt.Scale(zero=True)),
            color=alt.Color("reason:N", scale=_colors(REASON_COLORS), legend=_legend()),
            tooltip=["entity_type", "reason", alt.Tooltip("cnt:Q", format=",")],
        )
    )


def fleet_coverage(status: FleetStatus) -> alt.LayerChart:
    """Each member's resolved_pct per table, a point each, against the target's rule; the members
    in their waves' order, each named with its wave."""
    data = pd.DataFrame(
        [
            {
                "member": f"wave {read.member.wave} · {read.member.name}",
                "wave": read.member.wave,
                "table": coverage.table,
                "resolved_pct": float(coverage.resolved_pct),
            }
            for read in status.members
            for coverage in read.tables
        ],
        columns=["member", "wave", "table", "resolved_pct"],
    )
    order = list(data.sort_values(["wave", "member"], kind="stable")["member"].drop_duplicates())
    low = min([float(TARGET_PCT) - 1, *data["resolved_pct"]])
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=80)
        .encode(
            x=alt.X("resolved_pct:Q", title="resolved_pct", scale=alt.Scale(domain=[low, 100], nice=False)),
            y=alt.Y("member:N", sort=order, axis=_names_axis(), title=None),
            color=alt.Color("table:N", sort=list(MIGRATED_TABLES), legend=_legend()),
            tooltip=["member", "table", "resolved_pct"],
        )
    )
    rule = (
        alt.Chart().mark_rule(color="black", strokeDash=[6, 4], size=2).encode(x=alt.datum(float(TARGET_PCT)))
    )
    return alt.layer(points, rule)
