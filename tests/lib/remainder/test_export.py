"""Cells a spreadsheet would run as formulas are made inert, however the formula is disguised: the
rule that every CSV export applies in its COPY statement, run here by PostgreSQL."""

import unicodedata

from sqlalchemy import Text, literal, select, text

from lib.remainder.export import RUNS_AS_FORMULA, spreadsheet_safe

EVERY_CHARACTER = range(1, 0x110000)
FOLDS_TO_A_FORMULA = {n for n in EVERY_CHARACTER if unicodedata.normalize("NFKC", chr(n))[:1] in "=+-@"}

FORMULAS = [
    "=1+1", "+SUM(1)", "-1", "@A1", "\tx", "\rx", " =1+1", "\n=4+4", "\r\n=4+4", "\u3000=1", "\u200b=1",
    "\uff1d3+3", "\uff0b1", "\uff0d1", "\uff20A1", "\ufe661", " \uff1d3+3",  # full-width and small forms
]  # fmt: skip
OTHER_CELLS = ["jdoe", " jdoe ", "a=b", "O'Brien", "", "  ", "1+1", "\u00e9=1", "\u200b", None]  # fmt: skip


def as_exported(engine, cells: list) -> list:
    with engine.connect() as connection:
        return list(
            connection.execute(select(*(spreadsheet_safe(literal(cell, Text)) for cell in cells))).one()
        )


def test_a_formula_cell_gets_a_leading_quote(db):
    assert as_exported(db, FORMULAS) == ["'" + cell for cell in FORMULAS]


def test_any_other_cell_is_kept_exactly(db):
    assert as_exported(db, OTHER_CELLS) == OTHER_CELLS


def characters_quoted(engine, after: str) -> set[int]:
    """Every code point c for which c + `after` is a cell the export quotes."""
    every_character = """
        SELECT n FROM generate_series(1, 1114111) AS n
        WHERE n NOT BETWEEN 55296 AND 57343 AND chr(n) || :after ~ :runs_as_formula
    """  # no NUL, no surrogates: PostgreSQL's text holds neither
    with engine.connect() as connection:
        params = {"after": after, "runs_as_formula": RUNS_AS_FORMULA}
        return set(connection.execute(text(every_character), params).scalars())


def test_every_character_that_folds_to_a_formula_start_is_quoted_and_no_other(db):
    assert characters_quoted(db, "1") == FOLDS_TO_A_FORMULA | {ord("\t"), ord("\r")}


def test_every_whitespace_and_zero_width_character_before_a_formula_is_skipped(db):
    skipped = {
        n for n in range(1, 0x110000) if chr(n).isspace() or chr(n) in "\u200b\u200c\u200d\u2060\ufeff"
    }
    folds = {n for n in range(1, 0x110000) if unicodedata.normalize("NFKC", chr(n))[:1] in "=+-@"}
    assert characters_quoted(db, "=1") == skipped | folds
