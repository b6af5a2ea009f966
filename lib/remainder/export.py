"""CSV for spreadsheets: rows written as they come, formula-looking cells made inert."""

import csv
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TextIO

# A spreadsheet runs a cell as a formula when its first character, past any leading whitespace or
# line break, is one of these, or a full-width or small form of one (NFKC folds those: U+FF1D to =).
FORMULA_CHARACTERS = frozenset("=+-@")
CONTROL_STARTS = ("\t", "\r")
# Whitespace that str.lstrip() keeps but a spreadsheet skips too.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula, made inert with a leading quote."""
    if not isinstance(value, str) or (value[:1].isascii() and value[:1].isalnum()):
        return value  # most cells: nothing a spreadsheet would skip or run starts with a letter or digit
    first = value.lstrip().lstrip(ZERO_WIDTH).lstrip()[:1]
    if value.startswith(CONTROL_STARTS) or unicodedata.normalize("NFKC", first)[:1] in FORMULA_CHARACTERS:
        return "'" + value
    return value


def write_rows_csv(out: TextIO, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Header and rows to `out`, one row at a time; the number of rows written."""
    writer = csv.writer(out)
    writer.writerow(columns)
    written = 0
    for row in rows:
        # Only text can hold a formula; numbers and times, most of a row, skip the call.
        writer.writerow([neutralise(value) if type(value) is str else value for value in row])
        written += 1
    return written
