"""Pieces that several pages draw: the sidebar, the trigger banner and control, the SQL behind a
figure, the readiness gates."""

import streamlit as st

from lib.db.schema import current_revision, head_revision
from lib.db.settings import configured_database_url, describe_url
from lib.drift.waiting import writes_waiting
from lib.finish.readiness import Gate
from lib.guard.actions import change_triggers
from lib.guard.identity import role_of
from lib.guard.triggers import trigger_states
from lib.sql import query_text
from lib.view.display import counted
from ui import actions, database, identity


def sidebar() -> None:
    engine = database.engine()
    revision, head = database.read(current_revision), head_revision()
    with st.sidebar:
        source = "DATABASE_URL" if configured_database_url() else "embedded demo"
        st.caption(f"**Database** {describe_url(engine.url)} ({source})")
        behind = "" if revision == head else f" — head is {head}"
        st.caption(f"**Revision** {revision}{behind}")
        who = identity.visitor()
        st.caption(f"**Viewer** {who}, {role_of(who)}")
        if who.source == "oidc":
            st.button("Sign out", on_click=st.logout)


def trigger_banner() -> None:
    """A warning at the top of every page while any owner trigger is not enabled, and the rows
    written meanwhile that wait for the next backfill run."""
    states = database.read(trigger_states)
    off = [state for state in states if not state.enabled]
    if off:
        names = ", ".join(f"`{state.name}` ({state.state})" for state in off)
        st.warning(
            f"Owner triggers not enabled: {names}. Writes are not kept in step and "
            "owner_backfill_errors is not maintained until they are enabled again; every row "
            "written meanwhile is remembered.",
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


def trigger_control(key: str) -> None:
    """Enable or disable owner triggers, with a typed confirmation naming what will change."""
    allowed, reason = identity.may_act()
    if done := st.session_state.pop(f"{key}_done", None):
        st.success(f"Done: {done}.", icon=":material/check_circle:")
        st.session_state[f"{key}_confirm"] = ""  # a confirmation is good for one change only
    states = database.read(trigger_states)
    names = st.multiselect(
        "Triggers",
        [s.name for s in states],
        default=[s.name for s in states],
        key=f"{key}_names",
        disabled=not allowed,
    )
    change = st.radio(
        "Change", ("disable", "enable"), horizontal=True, key=f"{key}_change", disabled=not allowed
    )
    phrase = f"{change} {counted(len(names), 'trigger')}"
    # Plain text, not markdown: the label is also the field's accessible name.
    typed = st.text_input(f'Type "{phrase}" to confirm', key=f"{key}_confirm", disabled=not allowed)
    if not allowed:
        st.caption(reason)
    if st.button(
        phrase.capitalize(),
        type="primary",
        disabled=not allowed or typed.strip() != phrase or not names,
        key=f"{key}_apply",
    ):
        with actions.action_errors_shown():
            actions.act(change_triggers, names, change == "enable")
            # Shown by the rerun, which redraws the banner and the trigger states.
            st.session_state[f"{key}_done"] = phrase
            st.rerun()


def show_sql(name: str, table: str | None = None, label: str = "SQL behind this figure") -> None:
    with st.expander(label):
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
