"""Journey 3: an ops lead filters the unresolved rows and downloads them for the owning team."""

import csv

from sqlalchemy import text

from tests.support.console import wait_until_rendered

# What a spreadsheet would run as a formula, and so must reach it behind a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The file's first line, as a spreadsheet shows it to the teams that own the rows.
HEADER = "entity_type,entity_id,entity_name,owner_username,reason,first_seen_at,last_seen_at"
ACCOUNTS_NOT_FOUND = """
    SELECT e.entity_type, e.entity_id, a.name, e.owner_username, e.reason, e.first_seen_at::text,
           e.last_seen_at::text
    FROM owner_backfill_errors AS e
    JOIN crm_accounts AS a ON a.id = e.entity_id
    WHERE e.entity_type = 'crm_accounts' AND e.reason = 'user_not_found'
    ORDER BY e.entity_id
"""


def as_csv_cells(row) -> list[str]:
    cells = ["" if value is None else str(value) for value in row]
    return ["'" + cell if cell.startswith(FORMULA_STARTS) else cell for cell in cells]


def choose_only(page, label: str, choice: str) -> None:
    """Leave only `choice` chosen among the pills named `label`, one click at a time."""
    pills = page.get_by_role("toolbar", name=label)
    for option in pills.get_by_role("button").all_inner_texts():
        pill = pills.get_by_role("button", name=option, exact=True)
        if (pill.get_attribute("aria-pressed") == "true") != (option == choice):
            pill.click()
            wait_until_rendered(page)


def test_the_downloaded_csv_holds_exactly_the_filtered_rows(operator, demo):
    with demo.connect() as connection:
        expected = [as_csv_cells(row) for row in connection.execute(text(ACCOUNTS_NOT_FOUND))]
    assert any(row[3].startswith("'=") for row in expected), "the demo has formula-looking owners"

    page = operator.open("unresolved")
    choose_only(page, "Table", "crm_accounts")
    choose_only(page, "Reason", "user_not_found")
    button = page.get_by_role("button", name=f"Download these {len(expected):,} rows as CSV")
    with page.expect_download() as download:
        button.click()
    with open(download.value.path(), encoding="utf-8", newline="") as exported:
        header, *rows = list(csv.reader(exported))

    assert download.value.suggested_filename == "unresolved-owners.csv"
    assert ",".join(header) == HEADER
    assert rows == expected
    assert operator.problems(page) == []
