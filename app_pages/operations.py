import pandas as pd
import streamlit as st

from lib.aliases.store import alias_batches, batch_rows
from lib.backfill.progress import progress_of
from lib.backfill.report import history_rows, run_details
from lib.backfill.runs import backfill_runs
from lib.backfill.settings import BatchSettings
from lib.backfill.status import ACTIVE, BADGES, CANCELLABLE, PAUSABLE, RESUMABLE
from lib.backfill.throttle import throttle_settings
from lib.db.schema import CLI
from lib.drift import verify
from lib.drift.verify import drift_rows, last_verify
from lib.guard.actions import (
    cancel_backfill,
    cancel_verify,
    pause_backfill,
    pause_verify,
    repair_drift,
    resume_backfill,
    resume_verify,
    start_verify_in_background,
)
from lib.registry import DRIFT_KINDS, MIGRATED_TABLES
from lib.text import age, counted
from ui import actions, backfill, database, identity, widgets

# The drifting rows a page shows; the CSV has them all.
DRIFT_ROWS_SHOWN = 1_000

st.title("Operations")
st.caption(
    "Re-run the backfill and follow it live, pause or resume it; verify that nothing drifted; "
    "enable or disable the owner triggers."
)
allowed, reason = identity.may_act()
if not allowed:
    st.info(reason, icon=":material/visibility:")


# Whether the verify dialog is open, kept in the session, as ui.backfill does for its own.
VERIFY_DIALOG = "operations_verify_dialog_open"


def dialog_closed(key: str) -> None:
    st.session_state.pop(key, None)


st.header("Backfill", anchor=False)
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
        steering = (
            (PAUSABLE, "Pause", ":material/pause:", pause_backfill),
            (RESUMABLE, "Resume", ":material/play_arrow:", resume_backfill),
            (CANCELLABLE, "Cancel the backfill", ":material/stop:", cancel_backfill),
        )
        actions.steering_buttons(latest["status"], steering, allowed)
    st.subheader("Runs", anchor=False)
    if runs:
        widgets.table(pd.DataFrame(history_rows(runs)))
        chosen = st.selectbox("Details of run", [run["id"] for run in runs], key="operations_details_run")
        details = run_details(next(run for run in runs if run["id"] == chosen))
        widgets.text_table(pd.Series(details, name=f"run {chosen}"))
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
    widgets.text_table(pd.DataFrame(batch_rows(batches)).set_index("batch"))
else:
    st.caption("No aliases approved yet: see Remediation.")
widgets.show_sql("alias_batches", label="SQL behind the batches")

st.header("Verify", anchor=False)
st.caption(
    "A batched scan of every migrated table for drift: rows whose owner_user_id or error row disagrees with "
    "the rule. A renamed user's old name, a case variant and an alias are not drift. Run it after "
    "a rollback and the backfill that follows it."
)


@st.dialog("Verify every table", width="large", on_dismiss=lambda: dialog_closed(VERIFY_DIALOG))
def confirm_verify():
    left, right = st.columns(2)
    batch_size = left.number_input(
        "Batch size (rows)",
        value=BatchSettings.batch_size,
        step=1000,
        help=backfill.bounds_of("batch_size"),
        key="verify_batch_size",
    )
    pause_ms = right.number_input(
        "Pause between batches (ms)",
        value=BatchSettings.pause_ms,
        step=50,
        help=backfill.bounds_of("pause_ms"),
        key="verify_pause_ms",
    )
    settings = actions.typed_settings(lambda: BatchSettings(batch_size=batch_size, pause_ms=pause_ms))
    fresh = st.checkbox(
        "Start afresh",
        key="verify_fresh",
        help="Otherwise a verify whose process died is resumed from its last batch.",
    )
    st.caption(
        "It only reads the CRM tables. Its last pass re-reads every row written since it began, so "
        "its verdict covers the tables as they are when it ends. The console's throttle settings "
        "hold its batches, as they hold the backfill's."
    )
    if st.button("Start verify", type="primary", key="verify_start", disabled=settings is None):
        with actions.action_errors_shown(), database.database_problems_shown(retry=False):
            actions.act(start_verify_in_background, settings, fresh, throttle_settings())
            dialog_closed(VERIFY_DIALOG)
            st.rerun()


if st.button("Verify now…", icon=":material/fact_check:", disabled=not allowed, key="verify_open"):
    st.session_state[VERIFY_DIALOG] = True
if st.session_state.get(VERIFY_DIALOG):
    confirm_verify()


@st.fragment(run_every=2)
def verify_result():
    # A verify whose process died is settled by the background jobs (lib/background).
    actions.background_failure_shown("verify")
    run = database.read(last_verify, retry=False)
    if run is None:
        st.caption(f"No verify yet, from the console or `{CLI} verify`.")
        return
    colour, icon = verify.BADGES[run["status"]]
    st.badge(f"verify run {run['id']} {run['status']}", color=colour, icon=icon)
    active = run["status"] in verify.ACTIVE
    when = "updated" if active else "finished"
    st.caption(
        f"{when} {age(float(run['age_seconds']))} ago · {run['rows_scanned']:,} rows scanned · "
        f"{counted(run['drift_rows'], 'drifting row')} · started by {run['started_by']} ({run['source']})"
    )
    if active and run["held_by"]:
        st.warning(
            f"Waiting before its next batch: {run['held_by']}: {run['held_detail']}.", icon=":material/pause:"
        )
    steering = (
        (verify.PAUSABLE, "Pause verify", ":material/pause:", pause_verify),
        (verify.RESUMABLE, "Resume verify", ":material/play_arrow:", resume_verify),
        (verify.CANCELLABLE, "Cancel verify", ":material/stop:", cancel_verify),
    )
    actions.steering_buttons(run["status"], steering, allowed)
    if run["error_message"]:
        st.error(f"It failed: {run['error_message']}", icon=":material/error:")
    if run["by_kind"]:
        kinds = pd.DataFrame(run["by_kind"]).assign(meaning=lambda frame: frame["kind"].map(DRIFT_KINDS))
        widgets.text_table(kinds.set_index("kind"))
        rows = database.read(drift_rows, run["id"], DRIFT_ROWS_SHOWN, retry=False)
        widgets.table(pd.DataFrame(rows))
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
    if run["status"] == "drift":
        st.caption(
            "Repair brings each drifting row back to the rule: its owner_user_id becomes what the "
            "rule makes of its username, and its error row follows. Then a fresh verify checks it."
        )
        if st.button(
            f"Repair the {counted(run['drift_rows'], 'drifting row')}",
            icon=":material/healing:",
            disabled=not allowed,
            key="verify_repair",
        ):
            with actions.action_errors_shown():
                actions.act(repair_drift)
                actions.act(start_verify_in_background, BatchSettings(), True)
                st.rerun()
    widgets.show_sql("verify_batch", MIGRATED_TABLES[0], "SQL behind verify (per table, per batch)")


verify_result()

st.header("Triggers", anchor=False)
widgets.trigger_control("operations")
