"""The Fleet page, first when a fleet is configured: a row per member and the rollup, which equals
the playbook's step-3 query summed over the members; an unreachable member in one line."""

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from lib.coverage.counts import resolved_pct
from lib.db.settings import PROJECT_ROOT
from lib.finish.readiness import GATE_IDS
from lib.guard.identity import local_identity
from lib.registry import MIGRATED_TABLES
from tests.support.cli import url_of
from tests.support.crm import insert_row
from tests.support.fleet import NOWHERE, fleet_file
from tests.support.pages import chart_specs, has_target_rule, texts
from tests.support.playbook import playbook_coverage
from ui import database


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
    frame = app.dataframe[0].value.set_index("database")
    assert list(frame.index) == ["eu-1", "us-1", "fleet (sum)"]
    for table in MIGRATED_TABLES:
        summed = [0, 0]
        for engine in (demo_db, db):
            with engine.connect() as connection:
                total_legacy, resolved_fk, _ = playbook_coverage(connection, table)
            summed = [summed[0] + total_legacy, summed[1] + resolved_fk]
        rollup = frame.loc["fleet (sum)"]
        assert (rollup[f"{table} owned"], rollup[f"{table} resolved"]) == tuple(summed)
        assert rollup[f"{table} %"] == float(resolved_pct(*summed))
    # Each member at a glance, as its own pages show it: read in the background, shown once read.
    assert "Reading each member's triggers, last run, drift and readiness…" in texts(app.caption)
    database._glances().reading.result(timeout=60)  # the read the page started once drawn
    app.run()
    eu_1 = app.dataframe[0].value.set_index("database").loc["eu-1"]
    assert (eu_1["triggers"], eu_1["drift"]) == ("4 of 4 on", "not verified")
    assert eu_1["last run"] == "no backfill run"
    assert eu_1["readiness"].endswith(f" of {len(GATE_IDS)} gates hold")
    assert any(has_target_rule(spec) for spec in chart_specs(app))
    # The root serves it: the fleet's page comes first.
    assert console(demo_db).title[0].value == "Fleet"


def test_without_a_fleet_there_is_no_fleet_page(console, demo_db, monkeypatch):
    monkeypatch.delenv("OWNER_CONSOLE_FLEET", raising=False)
    app = console(demo_db)
    assert app.title[0].value != "Fleet" and not app.exception


@pytest.mark.operators(local=local_identity().name)
def test_an_operator_starts_a_rollout_on_the_fleet_page_and_sees_each_wave_in_a_sentence(
    console, demo_db, db, tmp_path, monkeypatch
):
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0), ("us-1", url_of(db), 1))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    app = console(demo_db, "fleet")
    app.number_input(key="fleet_soak_minutes").set_value(0)
    app.button(key="fleet_start_rollout").click().run()
    assert not app.exception
    shown = texts(app.markdown)
    assert "**Rollout 1**, running: started by " in " ".join(shown)
    assert "Wave 0, the canary (1 member, 1 at a time): running." in " ".join(shown)
    assert "- Wave 1 (1 member, 4 at a time): waits for wave 0 to pass its gates." in shown
    with demo_db.connect() as connection:
        plan = connection.execute(text("SELECT plan FROM fleet_control.rollouts")).scalar_one()
    assert plan["soak_seconds"] == 0
    assert [wave["members"] for wave in plan["waves"]] == [["eu-1"], ["us-1"]]


def test_a_viewer_sees_the_rollout_section_and_cannot_start_one(console, demo_db, tmp_path, monkeypatch):
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0))))
    app = console(demo_db, "fleet")
    assert app.button(key="fleet_start_rollout").disabled


def test_every_page_shows_the_member_named_in_the_url_and_the_sidebar_chooses_it(
    demo_db, db, tmp_path, monkeypatch
):
    with db.begin() as connection:
        insert_row(connection, "crm_accounts", owner_username="ghost")
    path = fleet_file(tmp_path, ("eu-1", url_of(demo_db), 0), ("us-1", url_of(db), 1))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    monkeypatch.setenv("DATABASE_URL", url_of(demo_db))
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    app.query_params["database"] = "us-1"
    app.switch_page("app_pages/overview.py").run()
    assert not app.exception
    assert app.selectbox(key="member_selector").value == "us-1"
    assert "**Database** us-1 (fleet member)" in texts(app.caption)
    # The member's own figures: its one account, owned by nobody it knows.
    assert [(metric.label, metric.value) for metric in app.metric][:2] == [
        ("resolved_pct", "0.00%"),
        ("unresolved rows", "1"),
    ]
    app.selectbox(key="member_selector").set_value("eu-1").run()
    assert app.query_params["database"] == "eu-1"
    assert "**Database** eu-1 (fleet member)" in texts(app.caption)
    assert [metric.value for metric in app.metric][:2] != ["0.00%", "1"]
