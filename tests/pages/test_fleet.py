"""The Fleet page, first when a fleet is configured: a row per member and the rollup, which equals
the playbook's step-3 query summed over the members; an unreachable member in one line."""

from lib.coverage.counts import resolved_pct
from lib.registry import MIGRATED_TABLES
from tests.support.cli import url_of
from tests.support.crm import insert_row
from tests.support.fleet import NOWHERE, fleet_file
from tests.support.pages import chart_specs, has_target_rule, texts
from tests.support.playbook import playbook_coverage


def test_the_fleet_page_rolls_up_the_members_and_names_the_one_it_cannot_read(
    console, demo_db, db, tmp_path, monkeypatch
):
    with db.begin() as connection:
        insert_row(connection, "crm_accounts", owner_username="ghost")
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0), ("us-1", url_of(db), 1), ("eu-2", NOWHERE, 1))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    app = console(demo_db, "fleet")
    assert not app.exception
    assert app.title[0].value == "Fleet"
    [error] = texts(app.error)
    assert error.startswith("eu-2 (line 11): Cannot connect to ")
    frame = app.dataframe[0].value
    assert list(frame.index) == ["eu-1", "us-1", "fleet (sum)"]
    for table in MIGRATED_TABLES:
        summed = [0, 0]
        for engine in (demo_db, db):
            with engine.connect() as connection:
                total_legacy, resolved_fk, _ = playbook_coverage(connection, table)
            summed = [summed[0] + total_legacy, summed[1] + resolved_fk]
        rollup = frame.loc["fleet (sum)"]
        assert (rollup[f"{table} owned"], rollup[f"{table} resolved"]) == tuple(summed)
        assert rollup[f"{table} %"] == resolved_pct(*summed)
    assert any(has_target_rule(spec) for spec in chart_specs(app))
    # The root serves it: the fleet's page comes first.
    assert console(demo_db).title[0].value == "Fleet"


def test_without_a_fleet_there_is_no_fleet_page(console, demo_db, monkeypatch):
    monkeypatch.delenv("OWNER_CONSOLE_FLEET", raising=False)
    app = console(demo_db)
    assert app.title[0].value != "Fleet" and not app.exception
