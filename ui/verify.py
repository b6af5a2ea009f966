"""Verify on the Operations page: its dialog (batch settings, start afresh), and its latest run
as it goes, with what holds it, its pause, resume and cancel, the drifting rows and their repair."""

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from lib.db.schema import CLI
from lib.drift.verify import drift_rows, last_verify
from lib.guard.actions import repair_drift, start_verify_in_background
from lib.guard.identity import Identity
from lib.jobs.settings import BatchSettings
from lib.jobs.status import ACTIVE, BADGES
from lib.jobs.throttle import throttle_settings
from lib.registry import DRIFT_KINDS, MIGRATED_TABLES
from lib.text import age, counted
from ui import actions, backfill, database, widgets

# The drifting rows a page shows; the CSV has them all.
DRIFT_ROWS_SHOWN = 1_000
# Whether the dialog is open, kept in the session, as ui.backfill does for its own.
OPEN = "operations_verify_dialog_open"


def _closed() -> None:
    st.session_state.pop(OPEN, None)


@st.dialog("Verify every table", width="large", on_dismiss=lambda: _closed())
def _confirm_verify():
    settings = backfill.batch_settings("verify", "It stays as set: it bounds each statement.")
    st.checkbox(
        "Start afresh",
        key="verify_fresh",
        help="Otherwise a verify whose process died is resumed from its last batch.",
    )
    st.caption(
        "It only reads the CRM tables. Its last pass re-reads every row written since it began, so "
        "its verdict covers the tables as they are when it ends. The console's throttle settings "
        "hold its batches, as they hold the backfill's."
    )
    actions.action_button(
        "Start verify",
        start_verify_in_background,
        "verify_start",
        lambda: (
            backfill.typed_batch_settings("verify"),
            st.session_state["verify_fresh"],
            throttle_settings(),
        ),
        then=lambda thread: _closed(),
        redraw=True,
        type="primary",
        disabled=settings is None,
    )


def _repair_and_verify_afresh(engine: Engine, visitor: Identity) -> None:
    repair_drift(engine, visitor)
    start_verify_in_background(engine, visitor, BatchSettings(), True)


def verify_button(label: str, allowed: bool) -> None:
    """The button that opens the verify dialog, and the dialog while it is open."""
    if st.button(label, icon=":material/fact_check:", disabled=not allowed, key="verify_open"):
        st.session_state[OPEN] = True
    if st.session_state.get(OPEN):
        _confirm_verify()


@st.fragment(run_every=2)
def live_verify(allowed: bool) -> None:
    """The latest verify as it goes: its status, what holds it, its steering, and what it found."""
    # A verify whose process died is settled by the background jobs (lib/background).
    actions.background_failure_shown("verify")
    run = database.read(last_verify, retry=False)
    if run is None:
        st.caption(f"No verify yet, from the console or `{CLI} verify`.")
        return
    colour, icon = BADGES[run["status"]]
    st.badge(f"verify run {run['id']} {run['status']}", color=colour, icon=icon)
    active = run["status"] in ACTIVE
    when = "updated" if active else "finished"
    st.caption(
        f"{when} {age(float(run['age_seconds']))} ago · {run['rows_scanned']:,} rows scanned · "
        f"{counted(run['drift_rows'], 'drifting row')} · started by {run['started_by']} ({run['source']})"
    )
    if active and run["held_by"]:
        st.warning(
            f"Waiting before its next batch: {run['held_by']}: {run['held_detail']}.", icon=":material/pause:"
        )
    actions.steering_buttons("verify", run["status"], allowed)
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
        actions.action_button(
            f"Repair the {counted(run['drift_rows'], 'drifting row')}",
            _repair_and_verify_afresh,
            "verify_repair",
            icon=":material/healing:",
            disabled=not allowed,
        )
    widgets.show_sql("verify_batch", MIGRATED_TABLES[0], "SQL behind verify (per table, per batch)")
