"""The fleet's rollout as the Fleet page reads and steers it: the control database, and the fleet's
actions on the task queue, in the shape that ui.actions.action_button runs."""

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from lib.fleet.control import control_engine
from lib.fleet.members import configured_fleet
from lib.fleet.plan import DEFAULT_CONCURRENCY, DEFAULT_SOAK_MINUTES, plan_for
from lib.fleet.rollout import (
    DONE,
    OPEN,
    Rollout,
    latest_rollout,
    retry_member,
    rollout_members,
    skip_member,
    start_rollout,
    steer_rollout,
    wave_lines,
)
from ui import actions, database, widgets


@st.cache_resource(show_spinner="Opening the fleet's control database…", on_release=Engine.dispose)
def _control() -> Engine:
    return control_engine()


def rollout_now() -> tuple[Rollout | None, list]:
    """The open rollout (or the latest) and its members, from the control database."""
    with database.database_problems_shown(retry=False), _control().connect() as connection:
        rollout = latest_rollout(connection)
        return rollout, rollout_members(connection, rollout.id) if rollout else []


def on_the_queue(act: Callable) -> Callable:
    """act(control, visitor, *arguments, queue), a fleet action, as action_button calls an action:
    with the engine of the page's database, which the fleet's actions do not use."""

    def acting(engine: Engine, visitor, *arguments):
        # Imported here: the task queue is needed only once an operator acts.
        from lib.fleet.queue import TaskQueue, fleet_app

        control = _control()
        app = fleet_app(control)
        with app.open():
            return act(control, visitor, *arguments, TaskQueue(app))

    return acting


def start_button(allowed: bool) -> None:
    """Start a rollout of the fleet file's members, with the plan's soak and concurrency."""
    path, members = configured_fleet()
    soak, at_once = st.columns(2)
    soak.number_input(
        "Soak after each member's steps (minutes)", 0, 1_440, DEFAULT_SOAK_MINUTES, key="fleet_soak_minutes"
    )
    at_once.number_input(
        "Members at once in each wave after the canary",
        1,
        64,
        DEFAULT_CONCURRENCY[-1],
        key="fleet_concurrency",
    )

    def plan() -> tuple:
        settings = {
            "soak_minutes": st.session_state["fleet_soak_minutes"],
            "concurrency": [DEFAULT_CONCURRENCY[0], st.session_state["fleet_concurrency"]],
        }
        return path, members, plan_for(members, settings)

    actions.action_button(
        "Start a rollout",
        on_the_queue(start_rollout),
        "fleet_start_rollout",
        plan,
        redraw=True,
        icon=":material/rocket_launch:",
        disabled=not allowed,
    )


def rollout_summary(rollout: Rollout, rows: list) -> None:
    """Who started the rollout and when, each wave in a sentence, and a row per member."""
    st.markdown(
        f"**Rollout {rollout.id}**, {rollout.status}: started by {rollout.started_by} "
        f"at {rollout.started_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    for line in wave_lines(rollout, rows):
        st.markdown(f"- {line}")
    widgets.table(
        pd.DataFrame(
            [
                {
                    "member": row.member,
                    "wave": row.wave,
                    "state": row.state,
                    "steps done": ", ".join(row.steps_done),
                    "attempt": row.attempt,
                    "what holds it": row.problem or row.skip_reason or "",
                }
                for row in rows
            ]
        )
    )
    if all(row.state in DONE for row in rows):
        st.success("Every wave passed.")


# The rollout's steering buttons: the step, the statuses it applies to, its icon.
STEERING = (
    ("pause", ("running",), "pause"),
    ("resume", ("paused", "halted"), "play_arrow"),
    ("cancel", OPEN, "stop"),
)


def rollout_buttons(rollout: Rollout, allowed: bool) -> None:
    for column, (step, applies_to, icon) in zip(st.columns(len(STEERING)), STEERING, strict=True):
        if rollout.status in applies_to:
            with column:
                actions.action_button(
                    f"{step.capitalize()} the rollout",
                    on_the_queue(steer_rollout),
                    f"fleet_{step}_rollout",
                    lambda step=step: (step,),
                    redraw=True,
                    icon=f":material/{icon}:",
                    disabled=not allowed,
                )


def member_buttons(rows: list, allowed: bool) -> None:
    """Retry a member that failed or is held, or skip one with a reason."""
    stuck = [row.member for row in rows if row.state in ("failed", "gating", "waiting", "cancelled")]
    if not stuck:
        return
    st.selectbox("Member", stuck, key="fleet_member_to_steer")
    reason = st.text_input("Why skip it (for the audit)", key="fleet_skip_reason")
    left, right = st.columns(2)
    with left:
        actions.action_button(
            "Retry the member",
            on_the_queue(retry_member),
            "fleet_retry_member",
            lambda: (st.session_state["fleet_member_to_steer"],),
            icon=":material/replay:",
            disabled=not allowed,
        )
    with right:
        actions.action_button(
            "Skip the member",
            on_the_queue(skip_member),
            "fleet_skip_member",
            lambda: (st.session_state["fleet_member_to_steer"], st.session_state["fleet_skip_reason"]),
            icon=":material/skip_next:",
            disabled=not allowed or not reason.strip(),
        )
