"""The text helpers: database text shown on markdown surfaces keeps every character and gains no
markup; a small count reads as a word."""

import pytest

from lib.text import WORD_JOINER, as_text, in_words


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("**x**", r"\*\*x\*\*"),
        ("[a](b)", r"\[a\]\(b\)"),
        (":red[x]", r"\:red\[x\]"),
        ("a\nb\r\nc", "a↵b↵c"),
        ("jdoe", "jdoe"),
        ("http://h", f"http{WORD_JOINER}\\:\\/\\/h"),
        ("me@x", f"me{WORD_JOINER}\\@x"),
    ],
)
def test_markup_is_escaped_and_links_are_defused(text, shown):
    assert as_text(text) == shown


def test_a_small_count_reads_as_a_word_and_a_large_one_as_digits():
    said = [in_words(number) for number in (0, 4, 6, 10, 11, 1200)]
    assert said == ["no", "four", "six", "ten", "11", "1,200"]
