import pandas as pd
import streamlit as st

from lib.coverage.counts import TARGET_PCT
from lib.fleet.rollout import OPEN
from lib.fleet.status import fleet_rows
from lib.view.charts import bar_chart_height, fleet_coverage
from ui import database, fleet, identity, widgets

st.title("Fleet")
st.caption(
    "Every member of the fleet file, read at once, and the rollup: the members' counts summed, never "
    f"an average of their percentages, against the {TARGET_PCT}% target."
)
allowed, reason = identity.may_act()


@st.fragment(run_every=10)
def live_fleet():
    status = database.fleet_status_now()
    for read in status.members:
        if not read.reachable:
            st.error(
                f"{read.member.name} (line {read.member.line}): {read.problem}",
                icon=":material/database_off:",
            )
    for first, second in status.same_databases():
        st.error(
            f"{first.name} and {second.name} are one database: the rollup counts it twice.",
            icon=":material/content_copy:",
        )
    glances = database.fleet_glances()
    widgets.table(pd.DataFrame(fleet_rows(status, glances or {})))
    if glances is None:
        st.caption("Reading each member's triggers, last run, drift and readiness…")
    widgets.header(
        "Coverage by member", "Each member's resolved_pct per table, the members in wave order.", sub=True
    )
    members_read = sum(read.reachable for read in status.members)
    st.altair_chart(fleet_coverage(status), width="stretch", height=bar_chart_height(members_read))
    widgets.show_sql("coverage_counts", label="SQL behind each member's figures")
    st.download_button(
        "Download every member's unresolved rows as CSV",
        data=database.fleet_unresolved_csv,
        file_name="fleet-unresolved-owners.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )


live_fleet()

widgets.header(
    "Rollout",
    "The migration over the fleet, wave by wave from the canary: each member migrated to head, "
    "backfilled and verified, and the next wave started once every member of the one before passed "
    "its gates (coverage, no drift, no failed run, soak).",
)
if not allowed:
    st.info(reason, icon=":material/visibility:")


def draw_rollout():
    rollout, rows = fleet.rollout_now()
    if rollout is None or rollout.status not in OPEN:
        if rollout is not None:
            st.caption(f"Rollout {rollout.id} {rollout.status}: {rollout.waiting_on}")
        fleet.start_button(allowed)
        if rollout is None:
            return
    fleet.rollout_summary(rollout, rows)
    if rollout.status in OPEN:
        fleet.rollout_buttons(rollout, allowed)
        fleet.member_buttons(rows, allowed)


@st.fragment(run_every=2)
def rollout_progress():
    draw_rollout()
    database.read_fleet_glances_again()  # last, once the page is drawn, so that it never waits


rollout_progress()
