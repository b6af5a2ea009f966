import pandas as pd
import streamlit as st

from lib.aliases.store import alias_batches, batch_rows
from lib.backfill.progress import progress_of
from lib.backfill.report import history_rows
from lib.backfill.runs import backfill_runs
from lib.backfill.settings import BOUNDS, BatchSettings
from lib.backfill.status import ACTIVE, BADGES, CANCELLABLE
from lib.coverage.forecast import forecast
from lib.guard.actions import cancel_backfill, start_backfill_in_background
from ui import actions, database, identity, widgets

st.title("Operations")
st.caption("Re-run the backfill and follow it live; enable or disable the owner triggers.")
allowed, reason = identity.may_act()
if not allowed:
    st.info(reason, icon=":material/visibility:")


@st.dialog("Re-run the backfill", width="large")
def confirm_backfill():
    st.markdown("A run now would give, by the dry-run forecast:")
    for row in database.read(forecast):
        remainder = ", ".join(f"{count:,} {reason}" for reason, count in row.remainder.items()) or "nothing"
        st.markdown(
            f"- **{row.table}**: {row.newly_resolved:,} rows resolved, {row.resolved_pct}%; left: {remainder}"
        )
    left, right = st.columns(2)
    batch_size = left.number_input("Batch size (rows)", *BOUNDS["batch_size"], BatchSettings.batch_size, 1000)
    pause_ms = right.number_input(
        "Pause between batches (ms)", *BOUNDS["pause_ms"], BatchSettings.pause_ms, 50
    )
    st.caption(
        "Each batch commits on its own and waits at most 2 s for a lock, so writers are never held long."
    )
    if st.button("Start the backfill", type="primary", key="operations_start"):
        with actions.action_errors_shown():
            settings = BatchSettings(batch_size=int(batch_size), pause_ms=int(pause_ms))
            actions.act(start_backfill_in_background, settings)
            st.rerun()


st.header("Backfill", anchor=False)
if st.button("Re-run backfill…", icon=":material/play_arrow:", disabled=not allowed, key="operations_open"):
    confirm_backfill()


@st.fragment(run_every=2)
def live_runs():
    database.settle_runs_of_dead_processes()
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
        eta = f", about {progress.eta_seconds:.0f} s left" if active and progress.eta_seconds else ""
        st.progress(
            done,
            text=f"{progress.scanned:,} rows scanned, {progress.resolved:,} resolved, "
            f"{progress.rows_per_second:,.0f} rows/s{eta}",
        )
        if latest["status"] in CANCELLABLE and st.button(
            "Cancel the backfill", icon=":material/stop:", disabled=not allowed, key="operations_cancel"
        ):
            with actions.action_errors_shown():
                actions.act(cancel_backfill)
    st.subheader("Runs", anchor=False)
    if runs:
        st.dataframe(pd.DataFrame(history_rows(runs)), hide_index=True)
    else:
        st.caption("No backfill run yet from the console or the CLI.")
    widgets.show_sql("backfill_runs", label="SQL behind the runs")


live_runs()

st.subheader("Alias batches", anchor=False)
st.caption(
    "What each batch of approved aliases bought: the rows resolved through its aliases now, as a "
    "share of total_legacy, and the first backfill run after it, with coverage before and after."
)
batches = database.read(alias_batches)
if batches:
    st.dataframe(pd.DataFrame(batch_rows(batches)), hide_index=True)
else:
    st.caption("No aliases approved yet: see Remediation.")
widgets.show_sql("alias_batches", label="SQL behind the batches")

st.header("Triggers", anchor=False)
widgets.trigger_control("operations")
