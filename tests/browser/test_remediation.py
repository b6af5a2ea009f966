"""Journey 7: an ops lead reviews the suggested owners, imports a CSV, applies the aliases, runs the
backfill to the 99% target, takes one alias back, and types the user for an ambiguous name."""

from sqlalchemy import text

from lib.aliases.store import alias_batches, list_aliases
from lib.aliases.suggestions import unresolved_names
from lib.registry import MIGRATED_TABLES
from tests.support.console import (
    OPERATOR,
    choose_option,
    grid_rows,
    table_rows,
    wait_for_first_run_to_end,
    wait_until_rendered,
)
from tests.support.crm import error_rows, unresolved_rows
from tests.support.playbook import playbook_coverage
from tests.support.polling import wait_for

RUN_SECONDS = 120
ROW_HEIGHT = 35  # of the review table's header and rows, in pixels


def alias_audit(demo) -> list[tuple]:
    with demo.connect() as connection:
        return connection.execute(
            text("""
                SELECT actor, action, outcome FROM migration_ops.audit_log
                WHERE action LIKE '%alias%' ORDER BY id
            """)
        ).all()


def test_a_csv_import_lists_its_bad_lines_and_writes_nothing_until_applied(operator, demo):
    with demo.connect() as connection:
        name = next(n for n in unresolved_names(connection) if n.suggestion() and n.match_kind == "not_found")
    upload = (
        "legacy_username,username,note\n"
        f"{name.legacy_username},{name.suggestion().username},from the CSV\n"
        "stray.one,nobody.at.all,\n"
        f"{name.legacy_username},{name.suggestion().username},twice\n"
        "only-one-cell\n"
    )

    page = operator.open("remediation")
    page.get_by_role("tab", name="Import a CSV").click()
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
        files=[{"name": "aliases.csv", "mimeType": "text/csv", "buffer": upload.encode()}]
    )
    page.get_by_role("button", name="Preview the import…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Dry run").wait_for()
    warnings = dialog.locator("[data-testid=stAlertContentWarning]").all_inner_texts()
    assert any("line 3" in warning and "nobody.at.all" in warning for warning in warnings), warnings
    assert any("line 4" in warning for warning in warnings), warnings
    assert any("line 5" in warning for warning in warnings), warnings
    assert alias_audit(demo) == []
    with demo.connect() as connection:
        assert list_aliases(connection) == []

    dialog.get_by_role("button", name="Close").click()
    dialog.wait_for(state="detached")
    with demo.connect() as connection:
        assert list_aliases(connection) == []


def test_an_operator_applies_the_suggestions_runs_the_backfill_and_removes_an_alias(operator, demo):
    with demo.connect() as connection:
        suggested = [name for name in unresolved_names(connection) if name.suggestion()]
        before = playbook_coverage(connection, "crm_accounts")
    assert suggested and before[2] < 99

    page = operator.open("remediation")
    page.get_by_text("Tick every filled-in suggestion").click()
    wait_until_rendered(page)
    page.get_by_role("button", name=f"Preview {len(suggested)} mappings…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Dry run").wait_for()
    assert dialog.locator("[data-testid=stAlertContentWarning]").count() == 0
    forecast = dialog.get_by_text("crm_accounts: ").inner_text()
    note = dialog.get_by_label("Note, kept with the batch")
    note.fill("reviewed suggestions")
    note.press("Enter")
    wait_until_rendered(page)
    dialog.get_by_role("button", name=f"Apply {len(suggested)} aliases").click()
    dialog.wait_for(state="detached")
    # The dry runs before it left the batch numbers alone.
    page.get_by_text(f"Batch 1: {len(suggested)} aliases written and audited").wait_for()
    # The attempt's start, a row per alias, and the attempt's end.
    added = [(OPERATOR, "add alias", "succeeded")] * (len(suggested) + 1)
    assert alias_audit(demo) == [(OPERATOR, "add alias", "started"), *added]
    # The names just mapped leave the review at once, before the suggestions are computed again.
    page.get_by_role("button", name="Preview 0 mappings…").wait_for()
    with demo.connect() as connection:
        assert alias_batches(connection)[0]["note"] == "reviewed suggestions"

    page.get_by_role("button", name="Run the backfill…").click()
    page.get_by_role("dialog").get_by_text("A run now would give, by the dry-run forecast:").wait_for()
    page.get_by_role("dialog").get_by_role("button", name="Start the backfill").click()
    page.wait_for_url("**/operations")
    assert wait_for_first_run_to_end(page, demo, RUN_SECONDS) == "succeeded"
    with demo.connect() as connection:
        after = {table: playbook_coverage(connection, table) for table in MIGRATED_TABLES}
        assert set(error_rows(connection)) == unresolved_rows(connection)
    assert after["crm_accounts"][2] > 99
    # The dry run's forecast was the figure the backfill reached.
    assert f"{after['crm_accounts'][2]}%" in forecast, forecast

    # The run's end shows in its live fragment first; the alias batches, outside it, follow when
    # the fragment has the page drawn again.
    wait_for(lambda: "succeeded" in alias_batch_row(page)["applied by"], "the alias batches redrawn")
    batch = alias_batch_row(page)
    assert batch["aliases"] == str(len(suggested)), batch
    assert f"crm_accounts {before[2]}% → {after['crm_accounts'][2]}%" in batch["applied by"], batch

    removed = suggested[0]
    rows_back = sum(removed.rows_by_table.values())
    page = operator.open("remediation")
    page.get_by_role("tab", name="Aliases").click()
    choose_option(page, "Aliases to remove", removed.legacy_username)
    page.get_by_text(f"{removed.legacy_username}: back to unresolved").wait_for()
    page.get_by_role("button", name="Remove 1 alias", exact=True).click()
    rows_text = "1 row" if rows_back == 1 else f"{rows_back:,} rows"
    page.get_by_text(f"1 alias removed and audited; {rows_text} unresolved again.").wait_for()

    with demo.connect() as connection:
        assert removed.legacy_username not in {alias["legacy_username"] for alias in list_aliases(connection)}
        back = connection.execute(
            text("SELECT count(*) FROM owner_backfill_errors WHERE btrim(owner_username) = :legacy"),
            {"legacy": removed.legacy_username},
        ).scalar_one()
        assert set(error_rows(connection)) == unresolved_rows(connection)
    assert back == rows_back
    assert alias_audit(demo)[-1] == (OPERATOR, "remove alias", "succeeded")
    assert operator.problems(page) == []


def open_editable_cell_editor(page):
    """The editor of the selected cell, once it is one that may be edited: a grid that a rerun
    redraws under the keyboard may drop an arrow key, leaving a read-only cell selected (its
    editor is disabled), and then the next cell to the right is the one meant."""
    editors = page.locator("#portal textarea, #portal input")
    for _ in range(3):
        page.keyboard.press("Enter")
        editors.first.wait_for()
        if editors.first.is_enabled():
            return editors.first
        page.keyboard.press("Escape")
        editors.first.wait_for(state="detached")
        page.keyboard.press("ArrowRight")
    raise AssertionError("no editable cell to the right of the username")


def test_an_operator_types_the_user_for_an_ambiguous_name(operator, demo):
    with demo.connect() as connection:
        names = unresolved_names(connection)
    name = next(name for name in names if name.match_kind == "ambiguous")
    chosen = name.candidates[0]
    open_names = [name for name in names if name.match_kind in ("not_found", "ambiguous")]

    page = operator.open("remediation")
    field = page.get_by_label("Username contains")
    field.fill(name.legacy_username)
    field.press("Enter")
    page.get_by_test_id("InputInstructions").wait_for(state="hidden")
    page.get_by_text(f"1 of {len(open_names)} unresolved usernames").wait_for()
    wait_until_rendered(page)
    header, row = grid_rows(page.locator("[data-testid=stDataFrame]").first)
    shown = dict(zip(header, row, strict=True))
    tied = [candidate.username for candidate in name.leaders]
    assert len(tied) > 1 and shown["candidate"] == f"{tied[0]} (+{len(tied) - 1} tied)", shown
    assert shown["map to"] == ""
    # The grid is drawn on a canvas: select the row's username cell, then move by keyboard.
    frame = page.locator("[data-testid=stDataFrame]").first
    frame.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = frame.bounding_box()
    username_cell = (box["x"] + 110, box["y"] + ROW_HEIGHT * 1.5)
    page.mouse.click(*username_cell)
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # past "ambiguous" and "rows" to "map to"
    editor = open_editable_cell_editor(page)
    editor.fill(chosen.username)
    editor.press("Enter")
    editor.wait_for(state="detached")
    # Typing the user ticked its row: nothing else to do before the preview.
    page.get_by_role("button", name="Preview 1 mapping…").wait_for()
    wait_until_rendered(page)
    page.get_by_role("button", name="Preview 1 mapping…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Dry run").wait_for()
    header, row = grid_rows(dialog.locator("[data-testid=stDataFrame]"))
    preview = dict(zip(header, row, strict=True))
    assert (preview["legacy username"], preview["user"], preview["user id"]) == (
        name.legacy_username,
        chosen.username,
        str(chosen.user_id),
    )
    assert [int(preview[table]) for table in MIGRATED_TABLES] == [
        name.rows_by_table.get(table, 0) for table in MIGRATED_TABLES
    ]
    dialog.get_by_role("button", name="Apply 1 alias", exact=True).click()
    dialog.wait_for(state="detached")
    page.get_by_text("1 alias written and audited").wait_for()
    with demo.connect() as connection:
        aliases = {alias["legacy_username"]: alias["user_id"] for alias in list_aliases(connection)}
    assert aliases[name.legacy_username] == chosen.user_id
    assert alias_audit(demo)[-1] == (OPERATOR, "add alias", "succeeded")
    assert operator.problems(page) == []


def alias_batch_row(page) -> dict[str, str]:
    """The first row of the Operations page's alias batches, by column."""
    wait_until_rendered(page)
    tables = [table_rows(table) for table in page.locator("[data-testid=stTable]").all()]
    header, batch_row = next(rows for rows in tables if "aliases" in rows[0])
    return dict(zip(header, batch_row, strict=True))
