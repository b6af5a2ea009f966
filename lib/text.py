"""Text from the database as literal text on the surfaces where Streamlit renders markdown."""

import re
import string
from datetime import UTC, datetime

# Every ASCII punctuation character, which CommonMark lets a backslash make literal.
_MARKDOWN_SYNTAX = re.compile(f"([{re.escape(string.punctuation)}])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# GitHub-flavoured markdown links bare URLs and e-mail addresses whatever their escapes; an
# invisible word joiner after the scheme, `www` or before `@` keeps them text.
_AUTOLINK = re.compile(r"(?i)(https?|www|mailto|xmpp)(?=[:.])|(?=@)")
WORD_JOINER = "\u2060"


def as_text(value: object) -> str:
    """`value` (a username, a note, a message that quotes one) as literal text on the surfaces
    where Streamlit renders markdown: alerts, captions, st.markdown. Nothing in it becomes a link,
    an image, a colour, formatting or an emoji; a line break shows as ↵."""
    defused = _AUTOLINK.sub(lambda match: (match.group(1) or "") + WORD_JOINER, str(value))
    return _LINE_BREAK.sub("↵", _MARKDOWN_SYNTAX.sub(r"\\\1", defused))


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def in_words(number: int) -> str:
    """'four' for 4, as a sentence writes a small count; digits from 11 on."""
    return NUMBER_WORDS[number] if 0 <= number < len(NUMBER_WORDS) else f"{number:,}"


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """'1 alias', '3 aliases': a count with its noun in the right number."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def age(seconds: float) -> str:
    """'40 s', '12 min', '3 h', '2 days': how long ago, to the unit a person reads at a glance."""
    for unit, size in (("day", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return counted(count, unit) if unit == "day" else f"{count} {unit}"
    return f"{int(seconds)} s"


def moment(value: datetime | None, missing: str = "not yet") -> str:
    """'2026-12-02 13:05:09 UTC': the console's one way of writing a time, to the second, in UTC."""
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if value else missing
