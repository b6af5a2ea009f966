import pandas as pd
import streamlit as st

from lib.aliases.store import alias_batches, batch_rows
from lib.backfill.progress import progress_of
from lib.backfill.report import history_rows
from lib.backfill.runs import backfill_runs
from lib.backfill.settings import BOUNDS, BatchSettings
from lib.backfill.status import ACTIVE, BADGES, CANCELLABLE
from lib.coverage.forecast import forecast
from lib.drift.verify import BADGES as VERIFY_BADGES
from lib.drift.verify import drift_rows, last_verify
from lib.guard.actions import cancel_backfill, start_backfill_in_background, start_verify_in_background
from lib.registry import DRIFT_KINDS, MIGRATED_TABLES
from lib.view.display import age, counted
from ui import actions, database, identity, widgets

# The drifting rows a page shows; the CSV has them all.
DRIFT_ROWS_SHOWN = 1_000

st.title("Operations")
st.caption(
    "Re-run the backfill and follow it live; verify that nothing drifted; "
    "enable or disable the owner triggers."
)
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

st.header("Verify", anchor=False)
st.caption(
    "A batched scan of both tables for drift: rows whose owner_user_id or error row disagrees with "
    "the rule. A renamed user's old name, a case variant and an alias are not drift. Run it after "
    "a rollback and the backfill that follows it."
)


@st.dialog("Verify both tables", width="large")
def confirm_verify():
    left, right = st.columns(2)
    batch_size = left.number_input(
        "Batch size (rows)", *BOUNDS["batch_size"], BatchSettings.batch_size, 1000, key="verify_batch_size"
    )
    pause_ms = right.number_input(
        "Pause between batches (ms)", *BOUNDS["pause_ms"], BatchSettings.pause_ms, 50, key="verify_pause_ms"
    )
    st.caption("It only reads the CRM tables; a verify whose process died is resumed from its last batch.")
    if st.button("Start verify", type="primary", key="verify_start"):
        with actions.action_errors_shown():
            settings = BatchSettings(batch_size=int(batch_size), pause_ms=int(pause_ms))
            actions.act(start_verify_in_background, settings)
            st.rerun()


if st.button("Verify now…", icon=":material/fact_check:", disabled=not allowed, key="verify_open"):
    confirm_verify()


@st.fragment(run_every=2)
def verify_result():
    # A dead verify is settled with the dead backfill runs, by live_runs() above.
    run = database.read(last_verify, retry=False)
    if run is None:
        st.caption("No verify yet, from the console or `python -m lib.cli verify`.")
        return
    colour, icon = VERIFY_BADGES[run["status"]]
    st.badge(f"verify run {run['id']} {run['status']}", color=colour, icon=icon)
    when = "updated" if run["status"] == "running" else "finished"
    st.caption(
        f"{when} {age(float(run['age_seconds']))} ago · {run['rows_scanned']:,} rows scanned · "
        f"{counted(run['drift_rows'], 'drifting row')} · started by {run['started_by']} ({run['source']})"
    )
    if run["error_message"]:
        st.error(f"It failed: {run['error_message']}", icon=":material/error:")
    if run["by_kind"]:
        kinds = pd.DataFrame(run["by_kind"]).assign(meaning=lambda frame: frame["kind"].map(DRIFT_KINDS))
        st.dataframe(kinds, hide_index=True)
        rows = database.read(drift_rows, run["id"], DRIFT_ROWS_SHOWN, retry=False)
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        if run["drift_rows"] > len(rows):
            st.caption(f"The first {len(rows):,} by table and id; the CSV has all {run['drift_rows']:,}.")
        st.download_button(
            f"Download the {counted(run['drift_rows'], 'drifting row')} as CSV",
            data=lambda: database.drift_csv(run["id"]),
            file_name=f"verify-run-{run['id']}-drift.csv",
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
        )
    widgets.show_sql("verify_batch", MIGRATED_TABLES[0], "SQL behind verify (per table, per batch)")


verify_result()

st.header("Triggers", anchor=False)
widgets.trigger_control("operations")
