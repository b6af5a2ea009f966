"""CSV for spreadsheets, written by PostgreSQL's COPY as fast as the server reads the rows, with
every text cell that a spreadsheet would run as a formula made inert in the same statement."""

from collections.abc import Collection, Mapping, Sequence
from typing import BinaryIO

from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    case,
    cast,
    column,
    literal,
    select,
    text,
)

from lib.sql import query_text

# A spreadsheet runs a cell as a formula when it starts with a tab or a carriage return, or when its
# first character past any whitespace and zero-width space is = + - or @, or a character that NFKC
# folds to one of them (full-width, small, superscript and subscript forms: U+FF1D is =). The lists
# are checked against Python's unicodedata by tests/lib/remainder/test_export.py.
FORMULA_STARTS = (
    "=+@\u207a\u207c\u208a\u208c\u2a75\u2a76\ufb29\ufe62\ufe63\ufe66\ufe6b\uff0b\uff0d\uff1d\uff20-"
)
WHITESPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# One regular expression, as PostgreSQL reads it: a match is a cell to quote. ('-' is last in
# FORMULA_STARTS and a range in WHITESPACE, as bracket expressions read it.)
RUNS_AS_FORMULA = f"^([\t\r]|[{WHITESPACE}]*[{ZERO_WIDTH}]*[{WHITESPACE}]*[{FORMULA_STARTS}])"


def spreadsheet_safe(cell: ColumnElement) -> ColumnElement:
    """`cell` (text), with a leading quote when a spreadsheet would run it as a formula."""
    return case((cell.regexp_match(RUNS_AS_FORMULA), literal("'") + cell), else_=cell)


def write_header(out: BinaryIO, columns: Sequence[str]) -> None:
    out.write(",".join(columns).encode() + b"\n")


def copy_csv(
    connection: Connection,
    query_name: str,
    params: Mapping,
    out: BinaryIO,
    columns: Sequence[str],
    text_columns: Collection[str],
    leading: Mapping[str, str] = {},
) -> int:
    """The rows of the named query as CSV lines to `out`, without a header, by COPY; how many.
    The `leading` constants (name: value) come first, then `columns`; the text cells (the leading
    ones and `text_columns`) are made spreadsheet-safe. Cells are PostgreSQL's text of each value."""
    rows = (
        text(query_text(query_name).strip().removesuffix(";"))
        .bindparams(**params)
        .columns(*map(column, columns))
        .subquery()
    )
    cells = [spreadsheet_safe(literal(value, Text)).label(name) for name, value in leading.items()]
    cells += [
        spreadsheet_safe(cast(rows.c[name], Text)) if name in text_columns else rows.c[name]
        for name in columns
    ]
    # render_postcompile: IN takes a list, which SQLAlchemy otherwise expands only at execution.
    statement = select(*cells).compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    bound = statement.construct_params()
    with connection.connection.driver_connection.cursor() as cursor:
        # COPY takes no server-side parameters: psycopg binds them into the text, client-side.
        with cursor.copy(f"COPY ({statement}) TO STDOUT (FORMAT csv)", bound) as copy:
            for chunk in copy:
                out.write(chunk)
        return cursor.rowcount
