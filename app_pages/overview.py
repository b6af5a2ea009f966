from datetime import UTC, datetime

import streamlit as st

from lib.backfill.runs import backfill_runs
from lib.coverage.counts import TARGET_PCT
from lib.db.settings import default_refresh_seconds
from lib.finish.next_step import AT_TARGET, REMEDIATE, next_steps
from lib.guard.triggers import trigger_states
from lib.jobs.status import BADGES
from lib.remainder.unresolved import unresolved_by_table
from lib.text import counted
from ui import database, widgets

st.title("Overview")
st.caption(
    f"Each migrated table at a glance: coverage against the {TARGET_PCT}% target, what is left, triggers."
)

with database.database_problems_shown():
    refresh_seconds = default_refresh_seconds()


@st.fragment(run_every=refresh_seconds)
def at_a_glance():
    """Every figure of the page, read again every few seconds: an open Overview never shows stale
    figures without a word, and names an outage at its next refresh."""
    st.caption(f"As of {datetime.now(UTC):%H:%M:%S} UTC; read again every {refresh_seconds} s.")
    coverage = database.coverage_now(retry=False)
    steps = {step.table: step for step in database.read(next_steps, retry=False)}
    unresolved = database.read(unresolved_by_table, retry=False)
    triggers = database.read(trigger_states, retry=False)
    last_runs = database.read(backfill_runs, limit=1, retry=False)
    if last_runs:
        run = last_runs[0]
        colour, icon = BADGES[run["status"]]
        st.badge(
            f"Last backfill: run {run['id']} {run['status']}, started "
            f"{run['started_at']:%Y-%m-%d %H:%M} UTC by {run['started_by']}; "
            f"{counted(run['rows_resolved'], 'row')} resolved",
            color=colour,
            icon=icon,
        )
    else:
        st.caption("No backfill run yet from the console or the CLI; the initial one ran with the migration.")

    for column, row in zip(st.columns(len(coverage)), coverage, strict=True):
        with column, st.container(border=True):
            widgets.header(row.table, sub=True)
            left, right = st.columns(2)
            left.metric(
                "resolved_pct", f"{row.resolved_pct}%", f"{row.resolved_pct - TARGET_PCT:+.2f} pts vs target"
            )
            right.metric("unresolved rows", f"{unresolved[row.table]:,}")
            if row.meets_target:
                st.badge(f"SLO met: at or above {TARGET_PCT}%", icon=":material/check_circle:", color="green")
            else:
                st.badge(f"SLO missed: below {TARGET_PCT}%", icon=":material/error:", color="red")
            for trigger in (t for t in triggers if t.table == row.table):
                colour, icon = widgets.trigger_badge(trigger.state)
                st.markdown(f"{icon} `{trigger.name}` :{colour}-badge[{trigger.state}]")
            step = steps[row.table]
            if step.step == AT_TARGET and step.backfill_resolves:
                st.warning(f"Next step: {step.advice()}", icon=":material/sync_problem:")
                st.page_link("app_pages/operations.py", label="Operations", icon=":material/build:")
            elif step.step == AT_TARGET:
                st.success(f"Next step: {step.advice()}", icon=":material/check_circle:")
                st.page_link("app_pages/finish.py", label="Finish", icon=":material/sports_score:")
            else:
                st.warning(f"Next step: {step.advice()}", icon=":material/sync_problem:")
                st.caption(step.pace())
                if step.step == REMEDIATE:
                    st.page_link("app_pages/remediation.py", label="Remediation", icon=":material/healing:")
                else:
                    st.page_link("app_pages/operations.py", label="Operations", icon=":material/build:")
            widgets.show_sql("coverage_counts")


at_a_glance()
