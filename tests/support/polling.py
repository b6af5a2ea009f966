"""Waiting for a state that no event announces, by polling it."""

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], object], what: str, timeout: float = 30) -> None:
    """Poll `condition` until it holds: for states that no event announces, such as a backend
    waiting on a lock or a killed client's backend gone."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)
