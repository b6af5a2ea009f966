import pandas as pd
import streamlit as st

from lib.coverage.burn_down import burn_downs
from lib.coverage.counts import TARGET_PCT
from lib.coverage.pace import trends
from lib.coverage.snapshots import snapshot_history
from lib.db.settings import REFRESH_CHOICES_SECONDS, default_refresh_seconds
from lib.view.charts import bar_chart_height, burn_down, coverage_bars, coverage_history
from ui import database, widgets

# Tall enough for the zoomed axis's title.
HISTORY_HEIGHT = 340

st.title("Coverage")
st.caption(f"Live resolved_pct of each table against the {TARGET_PCT}% target, and its history.")

with database.database_problems_shown():
    default_interval = default_refresh_seconds()
controls = st.columns([3, 1, 2])
interval = controls[0].segmented_control(
    "Refresh every (seconds)", REFRESH_CHOICES_SECONDS, default=default_interval, key="coverage_interval"
)
paused = controls[1].toggle("Pause", key="coverage_paused")
hours = controls[2].selectbox(
    "History", (1, 6, 24, 24 * 7), index=2, key="coverage_hours", format_func=lambda h: f"last {h} h"
)


@st.fragment(run_every=None if paused or not interval else interval)
def live_coverage():
    coverage = database.coverage_now(retry=False)
    st.altair_chart(coverage_bars(coverage), width="stretch", height=bar_chart_height(len(coverage)))
    for column, row in zip(st.columns(len(coverage)), coverage, strict=True):
        with column:
            st.metric(
                row.table, f"{row.resolved_pct}%", f"{row.resolved_pct - TARGET_PCT:+.2f} pts vs target"
            )
            st.caption(f"{row.resolved_fk:,} of {row.total_legacy:,} owned rows have owner_user_id")
            widgets.show_sql("coverage_counts")
    widgets.header("History", sub=True)
    history = database.read(snapshot_history, hours=hours, retry=False)
    if not history:
        st.info("No snapshot yet: the console takes one per table every minute while it runs.")
    else:
        st.altair_chart(coverage_history(history), width="stretch", height=HISTORY_HEIGHT)
    widgets.show_sql("snapshot_history", label="SQL behind the history")
    widgets.header(
        "Burn-down to the target",
        "Unresolved rows per table from the same snapshots, up to the live count above, the most "
        "the target allows, and a forecast at the recent pace while a table is above it.",
        sub=True,
    )
    tables = burn_downs(history, database.read(trends, retry=False), coverage)
    if tables:
        for column, table in zip(st.columns(len(tables)), tables, strict=True):
            with column:
                st.markdown(f"**{table.table}**")
                st.altair_chart(burn_down(table), width="stretch")
                st.caption(table.summary())
                st.caption(table.allowance())
    widgets.show_sql("coverage_pace", label="SQL behind the pace")
    state = "paused" if paused else f"every {interval} s"
    st.caption(f"Updated {pd.Timestamp.now(tz='UTC'):%H:%M:%S} UTC; refresh {state}.")


live_coverage()
