"""R3: hostile usernames through the write path, the resolution rule, the console's filters and
the CSV export; absurd inputs to the CLI and the pages. Nothing crashes, nothing is read as SQL or
as a pattern, the text is kept exactly, and the CSV gives it back exactly (formula cells apart,
which are neutralised).
"""

import csv
import io
import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg import DataError as DriverDataError
from sqlalchemy import Text, literal, select, text
from sqlalchemy.exc import DataError

from lib.guard.identity import local_identity
from lib.remainder.export import spreadsheet_safe
from lib.remainder.unresolved import UnresolvedFilter, count_unresolved, unresolved_page, write_csv
from lib.text import as_text
from tests.support.cli import cli, url_of
from tests.support.crm import add_user, error_rows, insert_row, owner_of
from tests.support.faults import SCALE, record
from tests.support.site import set_site_setting

# Every kind of whitespace: what btrim() trims (the space) and what it must keep.
WHITESPACE = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u1680",
              "\u2000", "\u2007", "\u200a", "\u200b", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
              "\ufeff"]  # fmt: skip
PIECES = ["'", '"', "\\", "%", "_", "%%", "\\%", "[a-z]*", "'; DROP TABLE app_users; --", "$$", "$1",
          ":username", "{table}", "%s", "=cmd|' /C calc'!A0", "+SUM(1)", "-1", "@A1", "NULL", "O'Brien",
          "Ünïcödé", "用户", "مستخدم", "🙂", "\u202e", "a\u0301", "\x07", "\x1b[31m"]  # fmt: skip


def random_text(seed: int, length: int = 10_240) -> str:
    """Printable characters from all over the Basic Multilingual Plane, which do not compress."""
    rng = random.Random(seed)
    return "".join(
        chr(rng.choice((rng.randrange(0x20, 0x7F), rng.randrange(0xA0, 0xD7FF)))) for _ in range(length)
    )


# PostgreSQL text holds any character but NUL (refused by the driver, below); UTF-8 holds no
# lone surrogate.
CHARACTERS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
ANY_TEXT = st.text(CHARACTERS, min_size=1, max_size=30)
HOSTILE_USERNAMES = st.one_of(
    ANY_TEXT,
    st.lists(
        st.one_of(st.sampled_from(WHITESPACE), st.sampled_from(PIECES), ANY_TEXT), min_size=1, max_size=8
    ).map("".join),
    # 10 kB: repeated (it compresses) and random (it does not, and no index entry can hold it)
    st.text(CHARACTERS, min_size=1, max_size=4).map(lambda piece: (piece * 10_240)[:10_240]),
    st.integers(min_value=0).map(random_text),
)


EXAMPLES = round(150 * SCALE)
# app_users.username is unique in the baseline CRM: its btree holds names up to about 2.7 kB.
LONGEST_USER_NAME_BYTES = 2_000
TABLE = "crm_accounts"
tried: list[str] = []


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(username=HOSTILE_USERNAMES)
@example("%")
@example("_")
@example("'; DROP TABLE app_users; --")
@example("\xa0bob\xa0")
@example(" \t ")
@example('=HYPERLINK("http://x")')
def test_a_hostile_username_is_kept_resolved_filtered_and_exported_exactly(db, username):
    tried.append(username)
    with db.connect() as connection:
        try:
            check_hostile_username(connection, username)
        finally:
            connection.rollback()
    record("R3 hostile usernames tried (write, resolve, filter, CSV)", f"{len(set(tried)):,}")
    record("R3 of them 10 kB long", sum(len(name) >= 10_240 for name in set(tried)))


def check_hostile_username(connection, username: str) -> None:
    decoy = insert_row(connection, TABLE, owner_username="decoy")
    row = insert_row(connection, TABLE, owner_username=username)
    # Kept as written; with no such user, unresolved, and logged when it is not blank.
    assert owner_of(connection, TABLE, row) == (username, None)
    owned = username.strip(" ") != ""  # btrim() trims the space, and only the space
    assert error_rows(connection).get((TABLE, row)) == ((username, "user_not_found") if owned else None)
    if not owned:
        return

    # The console's filter is a substring, not a pattern: '%' and '_' find only themselves.
    rows = UnresolvedFilter(tables=(TABLE,), username_contains=username)
    expected = {row} | ({decoy} if username.lower() in "decoy" else set())
    assert count_unresolved(connection, rows) == len(expected)
    page = unresolved_page(connection, rows, page=1, page_size=10)
    assert {found["entity_id"] for found in page} == expected
    assert next(found for found in page if found["entity_id"] == row)["owner_username"] == username

    # The CSV gives the text back exactly, neutralised when a spreadsheet would run it.
    out = io.BytesIO()
    write_csv(connection, rows, out)
    parsed = list(csv.DictReader(io.StringIO(out.getvalue().decode(), newline="")))
    assert [line["owner_username"] for line in parsed if line["entity_id"] == str(row)] == [
        connection.execute(select(spreadsheet_safe(literal(username, Text)))).scalar_one()
    ]

    # A user of that name (trimmed) makes the row resolve by the exact match, text kept as written.
    name = username.strip(" ")
    if len(name.encode()) <= LONGEST_USER_NAME_BYTES:
        user = add_user(connection, name)
        connection.execute(text("SELECT run_owner_backfill()"))
        assert owner_of(connection, TABLE, row) == (username, user)
        assert (TABLE, row) not in error_rows(connection)
        # The new path gives a row that user's name exactly.
        opportunity = insert_row(connection, "crm_opportunities", owner_user_id=user)
        assert owner_of(connection, "crm_opportunities", opportunity) == (name, user)
    assert connection.execute(text("SELECT count(*) FROM crm_accounts")).scalar_one() >= 2


def test_a_nul_character_is_refused_by_the_driver_and_nothing_is_written(db):
    with db.connect() as connection:
        with pytest.raises(DataError) as refused:
            insert_row(connection, TABLE, owner_username="bob\x00; DROP TABLE app_users")
        assert isinstance(refused.value.orig, DriverDataError)
        assert "NUL" in str(refused.value.orig)
        connection.rollback()
        assert connection.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar_one() == 0


# Each case, its message, and its exit status: 1 when the action refuses a value it was given,
# 2 when argparse refuses the command line itself.
ABSURD_CLI = {
    "batch size 0": (
        ("backfill", "--batch-size", "0"),
        "batch size must be a whole number from 100 to 100,000; got 0.",
        1,
    ),
    "negative batch size": (
        ("backfill", "--batch-size", "-5"),
        "batch size must be a whole number from 100",
        1,
    ),
    "huge batch size": (("backfill", "--batch-size", "10000000000000"), "got 10000000000000.", 1),
    "batch size not a number": (("backfill", "--batch-size", "ten"), "invalid int value: 'ten'", 2),
    "negative pause": (
        ("backfill", "--pause-ms", "-1"),
        "pause ms must be a whole number from 0 to 60,000",
        1,
    ),
    "unknown table": (("export-unresolved", "--table", "crm_users"), "invalid choice: 'crm_users'", 2),
    "unknown reason": (("export-unresolved", "--reason", "gone"), "invalid choice: 'gone'", 2),
    "unknown trigger": (("triggers", "disable", "crm_accounts_owner_sync"), "crm_accounts_owner_sync", 1),
    "unknown command": (("drop-everything",), "invalid choice: 'drop-everything'", 2),
    "user id beyond bigint": (
        ("aliases", "add", "ghost", "--user-id", "99999999999999999999", "--yes"),
        "a user id is between 1 and 9,223,372,036,854,775,807, not 99999999999999999999",
        2,
    ),
    "score not a number": (
        ("aliases", "suggest", "--min-score", "nan"),
        "a score is between 0 and 1, not nan",
        2,
    ),
}


@pytest.mark.parametrize("case", ABSURD_CLI, ids=list(ABSURD_CLI))
def test_an_absurd_cli_input_is_refused_with_a_clear_message_and_changes_nothing(demo_db, monkeypatch, case):
    # An operator, so that what is refused is the input and not the person.
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    arguments, message, status = ABSURD_CLI[case]
    with demo_db.connect() as connection:
        before = database_fingerprint(connection)
    result = cli(*arguments, database_url=url_of(demo_db))
    assert result.returncode == status
    assert message in result.stderr and "Traceback" not in result.stderr
    with demo_db.connect() as connection:
        assert database_fingerprint(connection) == before
    record("R3 absurd CLI inputs refused", len(ABSURD_CLI))


def database_fingerprint(connection) -> tuple:
    return connection.execute(
        text("""
            SELECT (SELECT count(*) FROM migration_ops.backfill_runs),
                   (SELECT string_agg(tgname || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger
                    WHERE tgname LIKE '%owner%guard'),
                   (SELECT count(*) FROM crm_accounts WHERE owner_user_id IS NOT NULL),
                   (SELECT count(*) FROM owner_backfill_errors)
        """)
    ).one()


@pytest.mark.parametrize(
    "typed", ["%", "_", "'; DROP TABLE app_users; --", "\\", "\xa0", "用户", "a\x00b", "x" * 10_000]
)
def test_a_hostile_filter_on_the_unresolved_page_shows_rows_or_none_without_an_error(console, demo_db, typed):
    app = console(demo_db, "unresolved")
    app.text_input(key="unresolved_username").input(typed).run()
    assert not app.exception
    with demo_db.connect() as connection:
        if "\x00" in typed:
            assert [error.value for error in app.error] == [
                as_text(
                    "Username contains: the NUL character cannot be stored in PostgreSQL text, so nothing "
                    "can match it. Remove it from the filter."
                )
            ]
        else:
            assert not app.error
            # The field keeps at most 200 characters: a 10 kB paste is not taken.
            kept = app.text_input(key="unresolved_username").value
            assert kept == (typed if len(typed) <= 200 else "")
            expected = count_unresolved(connection, UnresolvedFilter(username_contains=kept))
            assert app.get("download_button")[0].label == f"Download these {expected:,} rows as CSV"
