"""The one way a page runs a guarded action (lib/guard/actions.py) and shows why one was not done."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st

from lib.errors import ActionError, BadInput
from lib.guard.actions import STEPS, background_failure, steer_job
from lib.text import as_text
from ui import database, identity

T = TypeVar("T")


def typed_settings(build: Callable[[], T]) -> T | None:
    """build() the settings typed in a form: a value it cannot use is refused right there, in one
    sentence with its bounds, and None is returned for the form to hold its Start button."""
    try:
        return build()
    except BadInput as error:
        st.error(as_text(error), icon=":material/block:")
        return None


def act(action: Callable[..., T], *args) -> T:
    """action(engine, visitor, *args): a guarded action, as the visitor. Call it inside
    action_errors_shown(), with what follows its success in the same block."""
    with database.database_problems_shown():
        return action(database.engine(), identity.visitor(), *args)


@contextmanager
def action_errors_shown(stop: bool = False) -> Iterator[None]:
    """An action that was not done, or input it cannot use (lib.errors.ActionError): its message,
    once, and the rest of the block is skipped. With `stop`, the page stops there too, for input
    that the rest of the page needs."""
    try:
        yield
    except ActionError as error:
        st.error(as_text(error), icon=":material/block:")
        if stop:
            st.stop()


# The buttons that steer a job in progress, by step: label and icon; "{job}" is the job's name.
STEERING_BUTTONS = {
    "pause": ("Pause {job}", ":material/pause:"),
    "resume": ("Resume {job}", ":material/play_arrow:"),
    "cancel": ("Cancel {job}", ":material/stop:"),
}
JOB_NAMES = {"backfill": "the backfill", "verify": "verify"}


def steering_buttons(job: str, status: str, allowed: bool) -> None:
    """The pause, resume and cancel of `job` (backfill, verify), side by side, each shown while the
    run's `status` is one it applies to."""
    columns = st.columns(len(STEERING_BUTTONS))
    for column, (step, (label, icon)) in zip(columns, STEERING_BUTTONS.items(), strict=True):
        statuses = STEPS[step][0]
        if status in statuses and column.button(
            label.format(job=JOB_NAMES[job]), icon=icon, disabled=not allowed, key=f"operations_{step}_{job}"
        ):
            with action_errors_shown():
                act(steer_job, job, step)


def background_failure_shown(action: str) -> None:
    """What stopped the last `action` (backfill, verify) that the visitor started in the background,
    after its start had returned: shown until they start that action again."""
    failure = background_failure(identity.visitor(), action)
    if failure:
        st.error(as_text(failure), icon=":material/error:")
