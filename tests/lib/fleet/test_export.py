"""The fleet's one CSV: every member's unresolved rows as the member's own export gives them, with
the member's name first; nothing written when a member cannot be reached."""

import csv
import io

import pytest

from lib.errors import SetupError
from lib.fleet.export import FLEET_COLUMNS, write_fleet_csv
from lib.fleet.members import load_fleet
from lib.remainder.unresolved import UnresolvedFilter, write_csv
from tests.support.cli import cli, url_of
from tests.support.crm import insert_row
from tests.support.fleet import NOWHERE, fleet_file


def member_csv(engine, rows: UnresolvedFilter) -> list[list[str]]:
    out = io.BytesIO()
    with engine.connect() as connection:
        write_csv(connection, rows, out)
    return list(csv.reader(io.StringIO(out.getvalue().decode())))


def test_the_fleet_csv_is_each_members_own_export_with_its_name_first(tmp_path, demo_db, db):
    with db.begin() as connection:
        insert_row(connection, "crm_accounts", owner_username="=HYPERLINK(1)")
        insert_row(connection, "crm_opportunities", owner_username="ghost")
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0), ("us-1", url_of(db), 1))
    rows = UnresolvedFilter()
    out = io.BytesIO()
    written = write_fleet_csv(load_fleet(path), rows, out)
    header, *lines = list(csv.reader(io.StringIO(out.getvalue().decode())))
    expected = [["eu-1", *line] for line in member_csv(demo_db, rows)[1:]]
    expected += [["us-1", *line] for line in member_csv(db, rows)[1:]]
    assert header == list(FLEET_COLUMNS) and header[0] == "database"
    assert lines == expected
    assert written == {"eu-1": len(expected) - 2, "us-1": 2}
    assert any(line[0] == "us-1" and "'=HYPERLINK(1)" in line for line in lines)  # neutralised


def test_nothing_is_written_when_a_member_cannot_be_reached(tmp_path, demo_db):
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0), ("eu-2", NOWHERE, 1))
    out = io.BytesIO()
    with pytest.raises(SetupError, match=r"^member eu-2 \(line 6\): Cannot connect to "):
        write_fleet_csv(load_fleet(path), UnresolvedFilter(), out)
    assert out.getvalue() == b""


def test_the_cli_exports_the_chosen_members_tables_and_reasons(tmp_path, demo_db, db, monkeypatch):
    with db.begin() as connection:
        insert_row(connection, "crm_accounts", owner_username="ghost")
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0), ("us-1", url_of(db), 1), ("eu-2", NOWHERE, 1))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    result = cli(
        "fleet",
        "export-unresolved",
        "--member",
        "us-1",
        "--member",
        "eu-1",
        "--table",
        "crm_accounts",
        "--reason",
        "user_not_found",
        database_url=url_of(demo_db),
    )
    assert result.returncode == 0, result.stderr
    lines = list(csv.reader(io.StringIO(result.stdout)))[1:]
    chosen = UnresolvedFilter(tables=("crm_accounts",), reasons=("user_not_found",))
    # In the fleet file's order, whatever the order asked in.
    assert lines == [["eu-1", *line] for line in member_csv(demo_db, chosen)[1:]] + [
        ["us-1", *line] for line in member_csv(db, chosen)[1:]
    ]
    assert result.stderr.splitlines()[-1] == f"{len(lines):,} rows: eu-1 {len(lines) - 1:,}, us-1 1"
    unknown = cli("fleet", "export-unresolved", "--member", "nope", database_url=url_of(demo_db))
    assert unknown.returncode == 1 and unknown.stderr == "error: no member named nope in the fleet file.\n"
    down = cli("fleet", "export-unresolved", database_url=url_of(demo_db))
    assert down.returncode == 2 and down.stdout == "" and "member eu-2 (line 11)" in down.stderr
