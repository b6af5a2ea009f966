"""The one way a page runs a guarded action (lib/guard/actions.py) and shows why one was not done."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st
from sqlalchemy.exc import OperationalError

from lib.errors import ActionError, BadInput, SetupError
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


def action_button(
    label: str,
    action: Callable[..., T],
    key: str,
    arguments: Callable[[], tuple] = tuple,
    then: Callable[[T], None] = lambda result: None,
    redraw: bool = False,
    then_page: str | None = None,
    **button,
) -> None:
    """A button that runs action(engine, visitor, *arguments()), a guarded action, in its click's
    callback: before the page reruns, so that no rerun a refreshing fragment starts can lose the
    click. arguments() is called then too, so that it reads what the fields hold at the click
    from st.session_state (a value the page read while drawing can be a rerun behind).

    then(result) follows a success in the callback: a message to keep, a dialog to close. What
    refused the action, or a database that is away, shows under the button in one sentence. After a
    success, with `redraw` the whole page is drawn again (for a button in a dialog, or in a fragment
    whose change the rest of the page shows), or it switches to `then_page`. `button`: st.button's
    own arguments."""
    st.button(label, key=key, on_click=_act_on_click, args=(key, action, arguments, then), **button)
    if refused := st.session_state.pop(f"{key}_refused", None):
        st.error(refused, icon=":material/block:")
    if st.session_state.pop(f"{key}_succeeded", False):
        if then_page:
            st.switch_page(then_page)
        if redraw:
            st.rerun(scope="app")


def succeeded_just_now(key: str) -> bool:
    """Whether the action of button `key` has just succeeded and the button, drawn further down,
    has yet to take it up: what the page would show now is drawn again after it."""
    return f"{key}_succeeded" in st.session_state


def _act_on_click(
    key: str, action: Callable[..., T], arguments: Callable[[], tuple], then: Callable[[T], None]
) -> None:
    try:
        result = action(database.engine(), identity.visitor(), *arguments())
    except ActionError as error:
        st.session_state[f"{key}_refused"] = as_text(error)
        return
    except (SetupError, OperationalError) as error:
        st.session_state[f"{key}_refused"] = database.problem_sentence(error)
        return
    then(result)
    st.session_state[f"{key}_succeeded"] = True


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
        if status in STEPS[step].applies_to:
            with column:
                action_button(
                    label.format(job=JOB_NAMES[job]),
                    steer_job,
                    f"operations_{step}_{job}",
                    lambda step=step: (job, step),
                    icon=icon,
                    disabled=not allowed,
                )


def background_failure_shown(action: str) -> None:
    """What stopped the last `action` (backfill, verify) that the visitor started in the background,
    after its start had returned: shown until they start that action again."""
    failure = background_failure(identity.visitor(), action)
    if failure:
        st.error(as_text(failure), icon=":material/error:")
