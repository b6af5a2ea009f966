"""The one way a page runs a guarded action (lib/guard/actions.py) and shows why one was not done."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st

from lib.errors import ActionError, BadInput
from lib.guard.actions import background_failure
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


def steering_buttons(status: str, steering: tuple, allowed: bool) -> None:
    """A job's pause, resume and cancel, side by side: (statuses, label, icon, action) each, its
    button shown while the run's `status` is one of its statuses."""
    for column, (statuses, label, icon, action) in zip(st.columns(len(steering)), steering, strict=True):
        if status in statuses and column.button(
            label, icon=icon, disabled=not allowed, key=f"operations_{action.__name__}"
        ):
            with action_errors_shown():
                act(action)


def background_failure_shown(action: str) -> None:
    """What stopped the last `action` (backfill, verify) that the visitor started in the background,
    after its start had returned: shown until they start that action again."""
    failure = background_failure(identity.visitor(), action)
    if failure:
        st.error(as_text(failure), icon=":material/error:")
