"""Pieces that several pages draw: the sidebar, the trigger banner and control, the SQL behind a
figure, the readiness gates."""

from datetime import datetime

import pandas as pd
import streamlit as st

from lib.db.schema import current_revision, head_revision
from lib.db.settings import configured_database_url, describe_url
from lib.drift.waiting import writes_waiting
from lib.errors import BadInput
from lib.finish.readiness import Gate
from lib.fleet.members import Member
from lib.guard.actions import change_triggers
from lib.guard.identity import role_of
from lib.guard.triggers import trigger_states
from lib.registry import TRIGGER_KINDS
from lib.sql import query_text
from lib.text import as_text, counted, moment
from ui import actions, database, identity


def member_selector(members: tuple[Member, ...]) -> str:
    """The fleet member that the pages show: the sidebar's choice, kept in the URL's ?database= so
    that a link shows the same member, and across pages."""
    names = [member.name for member in members]
    asked = st.query_params.get("database") or st.session_state.get(LAST_MEMBER) or names[0]
    if asked not in names:
        st.sidebar.error(f"No member of the fleet is named {asked!r}; showing {names[0]}.")
        asked = names[0]
    chosen = st.sidebar.selectbox("Database", names, index=names.index(asked), key="member_selector")
    st.query_params["database"] = st.session_state[LAST_MEMBER] = chosen
    return chosen


LAST_MEMBER = "last_member_shown"


def sidebar(member: str | None = None) -> None:
    """Where the page's figures come from, and who is looking; `member`, the fleet member shown."""
    engine = database.engine()
    revision, head = database.read(current_revision), head_revision()
    with st.sidebar:
        if member is not None:
            source = "fleet member"
        else:
            source = "DATABASE_URL" if configured_database_url() else "embedded demo"
        st.caption(f"**Database** {member or describe_url(engine.url)} ({source})")
        behind = "" if revision == head else f" — head is {head}"
        st.caption(f"**Revision** {revision}{behind}")
        who = identity.visitor()
        st.caption(f"**Viewer** {as_text(who)}, {role_of(who)}")
        if who.source == "oidc":
            st.button("Sign out", on_click=st.logout)


# A trigger's state as a badge: its colour and icon.
TRIGGER_BADGES = {
    "enabled": ("green", ":material/toggle_on:"),
    "disabled": ("red", ":material/toggle_off:"),
    "replica only": ("orange", ":material/toggle_off:"),
    "missing": ("gray", ":material/help:"),
}


def trigger_badge(state: str) -> tuple[str, str]:
    """The colour and icon of a trigger's state."""
    return TRIGGER_BADGES.get(state, TRIGGER_BADGES["missing"])


def trigger_banner() -> None:
    """A warning at the top of every page while any owner trigger is not enabled, and the rows
    written meanwhile that wait for the next backfill run."""
    off = [state for state in database.read(trigger_states) if not state.enabled]
    if off:
        lines = "\n".join(
            f"- **{state.table}**: the {state.kind} trigger `{state.name}` is {state.state}, so "
            f"{TRIGGER_KINDS[state.kind]}."
            for state in off
        )
        st.warning(
            f"{counted(len(off), 'owner trigger')} not enabled:\n{lines}\n\nEvery row written "
            "meanwhile is remembered, and the next backfill run reconciles it.",
            icon=":material/warning:",
        )
    waiting = {table: rows for table, rows in database.read(writes_waiting).items() if rows}
    if waiting:
        tables = ", ".join(f"{counted(rows, 'row')} of {table}" for table, rows in waiting.items())
        st.info(
            f"Written while the owner triggers were off: {tables}. The next backfill run reconciles "
            "them before its scan (Operations).",
            icon=":material/pending_actions:",
        )


# The changes the trigger form offers, and which trigger states each applies to.
TRIGGER_CHANGES = {
    "disable": lambda state: state.enabled,
    "enable": lambda state: state.state in ("disabled", "replica only"),
}


@st.fragment
def trigger_control(key: str) -> None:
    """Each owner trigger with its state and what stops while it is off; a change offered only
    where a trigger can take it; then a typed confirmation naming what will change. No change is
    preset, so that a disable is always the operator's own choice; once one is chosen, every
    trigger it applies to is ticked, and can be unticked. A fragment: choosing and typing rerun
    only this form, and the page is redrawn once, after the change, with the form reset."""
    allowed, reason = identity.may_act()
    states = database.read(trigger_states)
    # Said once the page is drawn again after the change, not in the run that leads to it.
    if (done := st.session_state.get(f"{key}_done")) and not actions.succeeded_just_now(f"{key}_apply"):
        st.success(f"Done: {done}.", icon=":material/check_circle:")
    offered = [change for change, applies in TRIGGER_CHANGES.items() if any(map(applies, states))]
    change = st.radio(
        "Change", offered, index=None, horizontal=True, key=f"{key}_change", disabled=not allowed
    )
    names = []
    for state in states:
        choice, shown, meaning = st.columns([3, 1, 3], vertical_alignment="center")
        applies = change is not None and TRIGGER_CHANGES[change](state)
        # Keyed by the change, so that choosing another change ticks afresh what it applies to.
        if choice.checkbox(state.name, applies, key=f"{key}_{change}_{state.name}", disabled=not applies):
            names.append(state.name)
        colour, icon = trigger_badge(state.state)
        shown.badge(state.state, color=colour, icon=icon)
        meaning.caption(f"While off, {TRIGGER_KINDS[state.kind]}.")
    phrase = f"{change} {counted(len(names), 'trigger')}" if change and names else ""
    # Plain text, not markdown: the label is also the field's accessible name.
    label = f'Type "{phrase}" to confirm' if phrase else "Choose a change and triggers to confirm"
    typed = st.text_input(label, key=f"{key}_confirm", disabled=not allowed or not phrase)
    if not allowed:
        st.caption(reason)
    actions.action_button(
        phrase.capitalize() or "Change the triggers",
        change_triggers,
        f"{key}_apply",
        lambda: _confirmed_trigger_change(key, states),
        then=lambda result: _trigger_change_done(key, phrase),
        # The whole page redraws its banner and trigger states.
        redraw=True,
        type="primary",
        disabled=not allowed or not phrase or typed.strip() != phrase,
    )
    # Kept until a run of the form gets here: the redraw after a change starts before it.
    st.session_state.pop(f"{key}_done", None)


def _trigger_change_done(key: str, phrase: str) -> None:
    """The form starts afresh, saying what was done: no change chosen, nothing typed, so nothing ticked."""
    st.session_state.update({f"{key}_done": phrase, f"{key}_change": None, f"{key}_confirm": ""})


def _confirmed_trigger_change(key: str, states: list) -> tuple[list[str], bool]:
    """The triggers ticked in form `key` and whether they are to be enabled, as the fields hold them
    at the click; refused unless what is typed still names that change."""
    state = st.session_state
    change = state[f"{key}_change"]
    names = [trigger.name for trigger in states if state.get(f"{key}_{change}_{trigger.name}")]
    if not names or state[f"{key}_confirm"].strip() != f"{change} {counted(len(names), 'trigger')}":
        raise BadInput("The typed confirmation no longer names the change chosen: type it again.")
    return names, change == "enable"


def header(title: str, caption: str | None = None, sub: bool = False) -> None:
    """A section's title, without the link anchor Streamlit would add, and what it shows, in a line."""
    (st.subheader if sub else st.header)(title, anchor=False)
    if caption:
        st.caption(caption)


def table(frame: pd.DataFrame, labels: dict[str, str] | None = None) -> None:
    """A read-only table in the console's one format: counts with thousands separators, ids
    without, times to the second in UTC, an empty text a dash; `labels` renames columns on screen."""
    labels = labels or {}
    config = {}
    for name, column in frame.items():
        label = labels.get(name, name)
        if pd.api.types.is_datetime64_any_dtype(column):
            config[name] = st.column_config.DatetimeColumn(
                f"{label} (UTC)", format="YYYY-MM-DD HH:mm:ss", timezone="UTC"
            )
        elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            identifies = str(name).endswith("id") or name in ("run", "batch")
            config[name] = st.column_config.NumberColumn(label, format="%d" if identifies else "localized")
        else:
            config[name] = st.column_config.Column(label)
            frame = frame.assign(**{name: column.where(column.notna(), "—")})  # not "None"
    st.dataframe(frame, hide_index=True, column_config=config)


def text_table(frame: pd.DataFrame | pd.Series) -> None:
    """A small static table whose cells wrap, so nothing is cut off. Streamlit renders its cells
    as markdown, so every text from the database in it, the index too, is made literal first;
    times are in the one format, and an empty cell is a dash."""
    frame = frame.to_frame() if isinstance(frame, pd.Series) else frame

    def literal(value):
        if isinstance(value, datetime):
            return moment(value)
        if isinstance(value, str):
            return as_text(value)
        return "—" if pd.api.types.is_scalar(value) and pd.isna(value) else value

    st.table(frame.map(literal).set_axis(frame.index.map(literal)))


def show_sql(name: str, table: str | None = None, label: str = "SQL behind this figure") -> None:
    with st.expander(label):
        st.code(query_text(name, table), language="sql", wrap_lines=True)


def show_queries(label: str, queries: list[tuple[str, str, str | None]]) -> None:
    """Several queries behind one set of figures in one expander: (what it is, name, table) each."""
    with st.expander(label):
        for about, name, table in queries:
            st.caption(about)
            st.code(query_text(name, table), language="sql", wrap_lines=True)


def readiness_gates(gates: list[Gate], details: bool = False) -> None:
    """Each gate with a live check mark and its evidence; with `details`, its threshold and SQL."""
    for gate in gates:
        mark = ":material/check_box:" if gate.holds else ":material/check_box_outline_blank:"
        st.markdown(f"{mark} **{gate.name}** — {gate.evidence}")
        if details:
            where = f"Set by {gate.setting}." if gate.setting else "Fixed."
            st.caption(f"Needs {gate.threshold}. {where}")
            show_sql(gate.sql_name, label="SQL behind this gate")
