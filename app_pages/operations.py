import pandas as pd
import streamlit as st

from lib.aliases.store import alias_batches, batch_rows
from lib.backfill.progress import progress_of
from lib.backfill.report import history_rows, run_details
from lib.backfill.runs import backfill_runs
from lib.jobs.status import ACTIVE, BADGES
from lib.text import age
from ui import actions, backfill, database, identity, verify, widgets

st.title("Operations")
st.caption(
    "Re-run the backfill and follow it live, pause or resume it; verify that nothing drifted; "
    "enable or disable the owner triggers."
)
allowed, reason = identity.may_act()
if not allowed:
    st.info(reason, icon=":material/visibility:")

widgets.header("Backfill")
backfill.backfill_button("Re-run backfill…", "operations")


@st.fragment(run_every=2)
def live_runs():
    actions.background_failure_shown("backfill")
    runs = database.read(backfill_runs, limit=20, retry=False)
    latest = runs[0] if runs else None
    active = latest is not None and latest["status"] in ACTIVE
    # A run that ends changes the alias batches outside this fragment: redraw the page once.
    if st.session_state.get("operations_run_active") and not active:
        st.session_state["operations_run_active"] = False
        st.rerun()
    st.session_state["operations_run_active"] = active
    if latest:
        progress = progress_of(latest)
        colour, icon = BADGES[latest["status"]]
        st.badge(
            f"{'run' if active else 'last run'} {latest['id']} {latest['status']}",
            color=colour,
            icon=icon,
        )
        done = 1.0 if latest["status"] == "succeeded" else progress.fraction or 0.0
        eta = f", about {age(progress.eta_seconds)} of work left" if active and progress.eta_seconds else ""
        st.progress(
            done,
            text=f"{progress.scanned:,} rows scanned, {progress.resolved:,} resolved, "
            f"{progress.rows_per_second:,.0f} rows/s while working{eta}",
        )
        if active and progress.held:
            waited = f"; {age(progress.held_seconds)} waited in all" if progress.held_seconds >= 1 else ""
            st.warning(f"Waiting before its next batch: {progress.held}{waited}.", icon=":material/pause:")
        actions.steering_buttons("backfill", latest["status"], allowed)
    widgets.header("Runs", sub=True)
    if runs:
        widgets.table(pd.DataFrame(history_rows(runs)))
        chosen = st.selectbox("Details of run", [run["id"] for run in runs], key="operations_details_run")
        details = run_details(next(run for run in runs if run["id"] == chosen))
        widgets.text_table(pd.Series(details, name=f"run {chosen}"))
    else:
        st.caption("No backfill run yet from the console or the CLI.")
    widgets.show_sql("backfill_runs", label="SQL behind the runs")


live_runs()

widgets.header(
    "Alias batches",
    "What each batch of approved aliases bought: the rows resolved through its aliases now, as a "
    "share of total_legacy, and the first backfill run after it, with coverage before and after.",
    sub=True,
)
batches = database.read(alias_batches)
if batches:
    widgets.text_table(pd.DataFrame(batch_rows(batches)).set_index("batch"))
else:
    st.caption("No aliases approved yet: see Remediation.")
widgets.show_sql("alias_batches", label="SQL behind the batches")

widgets.header(
    "Verify",
    "A batched scan of every migrated table for drift: rows whose owner_user_id or error row disagrees with "
    "the rule. A renamed user's old name, a case variant and an alias are not drift. Run it after "
    "a rollback and the backfill that follows it.",
)
verify.verify_button("Verify now…", allowed)
verify.live_verify(allowed)

widgets.header("Triggers")
widgets.trigger_control("operations")
