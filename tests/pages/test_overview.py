"""The Overview page, rendered by AppTest against a real database."""

import pytest
from streamlit.testing.v1 import AppTest

import ui
from lib.coverage import table_coverage
from lib.settings import PROJECT_ROOT
from tests.conftest import admin_connection


@pytest.fixture
def console(monkeypatch):
    def open_with(database_url: str) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", database_url)
        ui._engine.clear()
        return AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30).run()

    yield open_with
    ui._engine.clear()


def test_overview_shows_each_tables_playbook_coverage(console, demo_db):
    with demo_db.connect() as connection:
        coverage = table_coverage(connection)
    page = console(demo_db.url.render_as_string(hide_password=False))
    assert not page.exception
    assert [(metric.label, metric.value) for metric in page.metric] == [
        (row.table, f"{row.resolved_pct}%") for row in coverage
    ]
    assert [error.value for error in page.error] == ["Below target"]
    assert [success.value for success in page.success] == ["At or above target"]
    assert all("FROM crm_" in code.value for code in page.code)


def test_overview_names_an_unreachable_database_instead_of_failing(console):
    page = console("postgresql://app:pw@127.0.0.1:1/crm")
    assert not page.exception
    assert [error.value for error in page.error] == [
        "Cannot connect to crm on 127.0.0.1:1: Connection refused."
    ]
    assert not page.metric


def test_overview_names_a_never_migrated_database(console, empty_db):
    page = console(empty_db.url.render_as_string(hide_password=False))
    assert not page.exception
    assert "has not been migrated" in page.error[0].value


def test_overview_names_a_database_that_went_away(console, demo_db, server_url):
    page = console(demo_db.url.render_as_string(hide_password=False))
    assert page.metric
    with admin_connection(server_url) as admin:
        admin.exec_driver_sql(f"DROP DATABASE {demo_db.url.database} WITH (FORCE)")
    page.run()
    assert not page.exception
    assert page.error[0].value.startswith(f"Cannot connect to {demo_db.url.database} on ")
    assert "does not exist" in page.error[0].value
