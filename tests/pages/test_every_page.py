"""Every page over the demo data: it renders, names a database that is away, refuses a visitor
without the configured header, and prints counts in the one format."""

import json

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import text

from lib.backfill.task import run_backfill
from lib.guard.identity import local_identity
from lib.jobs.settings import BatchSettings
from tests.support.database import admin_connection
from tests.support.pages import PAGES, texts
from tests.support.playbook import coverage_by_the_playbook
from tests.support.site import set_site_setting


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(console, demo_db, page):
    app = console(demo_db, page)
    assert not app.exception
    assert not app.error
    assert app.title[0].value == page.capitalize()
    # No trigger is disabled in the demo: only the next step of the accounts (below target), and the
    # readiness gates that do not hold yet, warn.
    assert not app.warning or page in ("overview", "finish")


@pytest.mark.parametrize("page", PAGES)
def test_with_a_header_configured_a_visitor_without_it_sees_a_refusal_and_nothing_else(
    console, demo_db, monkeypatch, page
):
    # The security review's case: the server's OS user is a listed local operator, for cron.
    monkeypatch.setenv("OWNER_CONSOLE_IDENTITY_HEADER", "X-Forwarded-User")
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    app = console(demo_db, page)
    assert not app.exception
    assert [title.value for title in app.title] == ["Owner migration console"]
    assert len(app.error) == 1 and "X-Forwarded-User header" in app.error[0].value
    assert not app.sidebar.children and not app.button and not app.dataframe and not app.metric


@pytest.mark.parametrize("page", PAGES)
def test_an_unreachable_database_gets_one_message_on_every_page(console, page):
    app = console("postgresql://app:pw@127.0.0.1:1/crm", page)
    assert not app.exception
    assert texts(app.error) == [
        "Cannot connect to crm on 127.0.0.1:1: Connection refused (is the server running?)."
    ]


def test_a_malformed_database_url_gets_its_message_and_no_promise_of_recovery(console):
    app = console("mysql://app:pw@db.internal/crm", "overview")
    assert not app.exception
    assert texts(app.error) == [
        "DATABASE_URL uses the scheme 'mysql', but this console needs PostgreSQL: "
        "use postgresql://user:password@host:5432/database."
    ]
    assert not [caption for caption in texts(app.caption) if "Trying again" in caption]


def test_a_never_migrated_database_gets_one_message(console, empty_db):
    app = console(empty_db, "coverage")
    assert not app.exception
    assert "has not been migrated" in app.error[0].value


def test_a_database_that_went_away_is_named_and_the_page_recovers(console, demo_db, server_url):
    app = console(demo_db, "coverage")
    assert app.metric
    name = demo_db.url.database
    with admin_connection(server_url) as admin:
        admin.exec_driver_sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        admin.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
        )
    st.cache_data.clear()  # the live figures are shared for a few seconds; skip that wait
    app.run()
    assert not app.exception
    assert texts(app.error) == [
        f"Cannot connect to {name} on {server_url.query['host']}: "
        f'database "{name}" is not currently accepting connections.'
    ]
    with admin_connection(server_url) as admin:
        admin.exec_driver_sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    app.run()
    assert not app.exception and not app.error
    assert {metric.label: metric.value for metric in app.metric} == coverage_by_the_playbook(demo_db)


@pytest.mark.parametrize("page", PAGES)
def test_every_table_draws_its_counts_with_separators_and_its_ids_without(console, demo_db, page):
    run_backfill(demo_db, BatchSettings(), "ops.lead", "cli")  # the runs table has a row
    app = console(demo_db, page)
    assert not app.exception
    for frame in app.dataframe:
        config = json.loads(frame.proto.columns)
        for name, column in frame.value.items():
            if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
                identifies = str(name).endswith("id") or name in ("run", "batch")
                expected = "%.2f" if name == "score" else "%d" if identifies else "localized"
                form = config[name]["type_config"]["format"]
                assert form == expected, (page, name, form)
