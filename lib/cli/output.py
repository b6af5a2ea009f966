"""Where a command writes a CSV."""

import sys
from typing import TextIO


def open_stdout() -> TextIO:
    """stdout for a CSV, buffered whatever Python's own stdout is (PYTHONUNBUFFERED would make every
    row a write call), with no newline translation; closing it leaves stdout open."""
    return open(sys.stdout.fileno(), "w", encoding="utf-8", newline="", buffering=1 << 16, closefd=False)
