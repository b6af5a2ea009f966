"""CSV for spreadsheets: rows written as they come, formula-looking cells made inert."""

import csv
from collections.abc import Iterable, Sequence
from typing import TextIO

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula, made inert with a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_rows_csv(out: TextIO, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Header and rows to `out`, one row at a time; the number of rows written."""
    writer = csv.writer(out)
    writer.writerow(columns)
    written = 0
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
        written += 1
    return written
