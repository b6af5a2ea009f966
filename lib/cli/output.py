"""Where a command writes a CSV."""

import sys
from typing import BinaryIO


def open_stdout() -> BinaryIO:
    """stdout for a CSV's bytes, buffered whatever Python's own stdout is (PYTHONUNBUFFERED would
    make every row a write call); closing it leaves stdout open."""
    sys.stdout.flush()
    return open(sys.stdout.fileno(), "wb", buffering=1 << 16, closefd=False)
