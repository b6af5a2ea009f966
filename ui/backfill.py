"""The backfill's confirmation: the dry-run forecast, the batch and throttle settings, each refused
where it is typed when out of bounds, and Start. Operations and Remediation open the same one."""

from dataclasses import replace

import streamlit as st

from lib.backfill.task import RunOptions
from lib.coverage.forecast import forecast
from lib.guard.actions import start_backfill_in_background
from lib.jobs.settings import BOUNDS, BatchSettings
from lib.jobs.throttle import (
    HEALTH_QUERY_SETTING,
    LIMITS,
    VACUUM_SETTING,
    ThrottleSettings,
    throttle_settings,
)
from lib.jobs.tuning import Tuning
from lib.registry import THROTTLE_SIGNALS
from lib.text import counted
from ui import actions, database, identity

# Whether the dialog is open, kept in the session: a refreshing fragment of the page may turn a
# click in an open dialog into a full rerun of the page, which closes every dialog it does not
# draw again, and drops the click with it.
OPEN = "backfill_dialog_open"


def backfill_button(label: str, key: str, then_page: str | None = None) -> None:
    """A button that opens the confirmation; `key` names its widgets. After Start, the page
    redraws, or switches to `then_page` where the run is followed."""
    allowed, _ = identity.may_act()
    if st.button(label, icon=":material/play_arrow:", disabled=not allowed, key=f"{key}_open"):
        st.session_state[OPEN] = key
    if st.session_state.get(OPEN) == key:
        _confirm(key, then_page)


def _closed(flag: str) -> None:
    st.session_state.pop(flag, None)


def bounds_of(setting: str) -> str:
    """A batch setting's bounds, as its field's help gives them."""
    low, high = BOUNDS[setting]
    return f"From {low:,} to {high:,}"


def batch_settings(job: str, batch_size_note: str) -> BatchSettings:
    """The batch size and the pause of a `job`'s run, side by side, as the settings they make."""
    # No bounds on the fields themselves: out of bounds, a number field keeps its last valid value
    # and would start a run with it; here the value typed is the one refused, with its bounds.
    left, right = st.columns(2)
    left.number_input(
        "Batch size (rows)",
        value=BatchSettings.batch_size,
        step=1000,
        help=f"{bounds_of('batch_size')}. {batch_size_note}",
        key=f"{job}_batch_size",
    )
    right.number_input(
        "Pause between batches (ms)",
        value=BatchSettings.pause_ms,
        step=50,
        help=bounds_of("pause_ms"),
        key=f"{job}_pause_ms",
    )
    return actions.typed_settings(lambda: typed_batch_settings(job))


def typed_batch_settings(job: str) -> BatchSettings:
    """The batch settings that `job`'s fields hold now, from the session: current in a click's
    callback too."""
    return BatchSettings(
        batch_size=st.session_state[f"{job}_batch_size"], pause_ms=st.session_state[f"{job}_pause_ms"]
    )


def _typed_options(site: ThrottleSettings) -> RunOptions:
    """The throttle and tuning that the dialog's fields hold now, over the console's `site` settings."""
    state = st.session_state
    limits = {f"max_{signal}": state[f"backfill_max_{signal}"] for signal in LIMITS}
    return RunOptions(
        throttle=replace(site, **limits, hold_for_vacuum=state["backfill_hold_for_vacuum"]),
        tuning=Tuning(
            state["backfill_target_batch_ms"],
            state["backfill_min_batch_size"],
            state["backfill_max_batch_size"],
        ),
    )


@st.dialog("Re-run the backfill", width="large", on_dismiss=lambda: _closed(OPEN))
def _confirm(key: str, then_page: str | None) -> None:
    st.markdown("A run now would give, by the dry-run forecast:")
    for row in database.read(forecast):
        remainder = ", ".join(f"{count:,} {reason}" for reason, count in row.remainder.items()) or "nothing"
        st.markdown(
            f"- **{row.table}**: {counted(row.newly_resolved, 'row')} resolved, {row.resolved_pct}%; "
            f"left: {remainder}"
        )
    settings = batch_settings("backfill", "Where it starts: it then tunes itself toward the target time.")
    st.caption(
        "Each batch commits on its own and waits at most 2 s for a lock, so writers are never held long."
    )
    with st.expander("Throttling and batch size", icon=":material/speed:"):
        st.caption(
            "Before each batch the run measures these; any one over its limit holds the batch until it "
            "is back under. 0 turns a limit off. The defaults are the console's settings."
        )
        with database.database_problems_shown(retry=False):
            site = throttle_settings()
        columns = st.columns(len(LIMITS))
        for column, (signal, limit) in zip(columns, LIMITS.items(), strict=True):
            column.number_input(
                f"Max {signal.replace('_', ' ')} (s)",
                value=float(getattr(site, f"max_{signal}")),
                help=f"0 (off) to {limit.high:,}. Hold while {THROTTLE_SIGNALS[signal]}. "
                f"Set by {limit.setting}.",
                key=f"backfill_max_{signal}",
            )
        st.checkbox(
            "Hold while VACUUM works on the table being filled",
            site.hold_for_vacuum,
            help=VACUUM_SETTING,
            key="backfill_hold_for_vacuum",
        )
        if site.health_query:
            st.markdown(f"Health query ({HEALTH_QUERY_SETTING}); the run holds unless it answers true:")
            st.code(site.health_query, language="sql")
        else:
            st.caption(f"No health query: set one in {HEALTH_QUERY_SETTING}, never on this page.")
        left, middle, right = st.columns(3)
        left.number_input(
            "Target batch time (ms)",
            value=Tuning.target_batch_ms,
            step=50,
            help="0 keeps the batch size fixed",
            key="backfill_target_batch_ms",
        )
        middle.number_input(
            "Smallest batch", value=Tuning.min_batch_size, step=500, key="backfill_min_batch_size"
        )
        right.number_input(
            "Largest batch", value=Tuning.max_batch_size, step=1000, key="backfill_max_batch_size"
        )
        options = actions.typed_settings(lambda: _typed_options(site))
    actions.action_button(
        "Start the backfill",
        start_backfill_in_background,
        f"{key}_start",
        lambda: (typed_batch_settings("backfill"), _typed_options(site)),
        then=lambda thread: _closed(OPEN),
        redraw=True,
        then_page=then_page,
        type="primary",
        disabled=settings is None or options is None,
    )
