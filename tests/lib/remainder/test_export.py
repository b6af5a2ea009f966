"""Cells a spreadsheet would run as formulas are made inert, however the formula is disguised."""

import pytest

from lib.remainder.export import neutralise


@pytest.mark.parametrize(
    "cell",
    ["=1+1", "+SUM(1)", "-1", "@A1", "\tx", "\rx", " =1+1", "\n=4+4", "\r\n=4+4", "\u3000=1", "\u200b=1",
     "\uff1d3+3", "\uff0b1", "\uff0d1", "\uff20A1", "\ufe661", " \uff1d3+3"],  # full-width and small forms
)  # fmt: skip
def test_a_formula_cell_gets_a_leading_quote(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["jdoe", " jdoe ", "a=b", "O'Brien", "", "  ", "1+1", 42, None])
def test_any_other_cell_is_kept_exactly(cell):
    assert neutralise(cell) == cell
