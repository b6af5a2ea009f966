"""The fixtures every test folder shares: the site file, the test server and its databases, and
Chromium. tests/conftest.py registers them."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from streamlit.testing.v1 import AppTest

from lib import registry
from lib.db.embedded import start_embedded_server
from lib.db.schema import BASELINE_REVISION, upgrade
from lib.db.settings import PROJECT_ROOT, SITE_FILE_SETTING, parse_database_url
from lib.demo.generator import load_demo
from tests.support.console import chromium
from tests.support.crm import unfill
from tests.support.database import (
    DEMO_ACCOUNTS,
    DEMO_OPPORTUNITIES,
    DEMO_TEMPLATE,
    LEGACY_TEMPLATE,
    SCHEMA_TEMPLATE,
    TEST_DATA_DIR,
    TEST_SERVER_URL,
    build_template,
    clone,
    drop_leftovers,
)
from tests.support.site import set_site_setting, write_site_file


@pytest.fixture(scope="session", autouse=True)
def site_file(tmp_path_factory) -> Iterator[Path]:
    """The tests' site file, instead of the project's .streamlit/secrets.toml: a developer's own
    settings never reach a test."""
    path = write_site_file(tmp_path_factory.mktemp("site") / "site.toml", {})
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv(SITE_FILE_SETTING, str(path))
        yield path


@pytest.fixture(autouse=True)
def empty_site_file(site_file) -> None:
    """Each test starts with no operator listed and no proxy secret; tests.support.site sets them."""
    write_site_file(site_file, {})


@pytest.fixture(scope="session")
def server_url() -> URL:
    """The session's server, with the two templates built afresh."""
    url = parse_database_url(TEST_SERVER_URL) if TEST_SERVER_URL else start_embedded_server(TEST_DATA_DIR)
    drop_leftovers(url)
    build_template(url, SCHEMA_TEMPLATE, lambda connection: upgrade(connection, "head"))
    build_template(
        url, DEMO_TEMPLATE, lambda connection: load_demo(connection, DEMO_ACCOUNTS, DEMO_OPPORTUNITIES)
    )
    return url


@pytest.fixture(scope="session")
def fleet_servers(server_url) -> tuple[URL, ...]:
    """Three servers for the fleet's tests: the session's, and two embedded clusters on data
    folders of their own; each holds the legacy template (the demo CRM at the baseline)."""
    extra = tuple(start_embedded_server(Path(f"{TEST_DATA_DIR}-fleet-{number}")) for number in (1, 2))
    for url in extra:
        drop_leftovers(url)
    for url in (server_url, *extra):
        build_template(
            url,
            LEGACY_TEMPLATE,
            lambda connection: load_demo(connection, DEMO_ACCOUNTS, DEMO_OPPORTUNITIES, migrate=False),
        )
    return (server_url, *extra)


@pytest.fixture
def databases() -> Iterator[Callable[[URL, str], Engine]]:
    """databases(server, template) -> a database of its own cloned from the template on that
    server, dropped after the test."""
    with ExitStack() as made:

        def make(server: URL, template: str) -> Engine:
            clones = clone(server, template)
            made.callback(lambda: next(clones, None))
            return next(clones)

        yield make


@pytest.fixture
def db(server_url) -> Iterator[Engine]:
    """A database at head with empty CRM tables."""
    yield from clone(server_url, SCHEMA_TEMPLATE)


@pytest.fixture
def demo_db(server_url) -> Iterator[Engine]:
    """A database at head holding the demo CRM, its initial backfill done."""
    yield from clone(server_url, DEMO_TEMPLATE)


@pytest.fixture
def empty_db(server_url) -> Iterator[Engine]:
    """A database that has never been migrated."""
    yield from clone(server_url, "template0")


@pytest.fixture
def deferred_backfill_db(empty_db) -> Engine:
    """At head after an upgrade with -x skip_backfill=true, over two accounts: ' JDOE', which
    resolves to the user jdoe, and 'ghost', which resolves to nobody."""
    with empty_db.connect() as connection:
        upgrade(connection, BASELINE_REVISION)
        connection.execute(text("INSERT INTO app_users (username) VALUES ('jdoe')"))
        connection.execute(
            text("INSERT INTO crm_accounts (name, owner_username) VALUES ('a', ' JDOE'), ('b', 'ghost')")
        )
        connection.commit()
        upgrade(connection, "head", skip_backfill=True)
    return empty_db


@pytest.fixture
def unfilled_db(demo_db) -> Engine:
    """The demo as if its initial backfill had been deferred: no owner_user_id, no errors."""
    with demo_db.begin() as connection:
        for table in registry.MIGRATED_TABLES:
            unfill(connection, table)
        connection.exec_driver_sql("DELETE FROM owner_backfill_errors")
    return demo_db


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, one for the session: Playwright's sync API runs one instance per thread."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def console(monkeypatch):
    """console(engine_or_url, page) -> the rendered AppTest of that page."""

    def open_page(database, page: str = "overview") -> AppTest:
        url = database if isinstance(database, str) else database.url.render_as_string(hide_password=False)
        monkeypatch.setenv("DATABASE_URL", url)
        app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
        if page != registry.PAGES[0].name:
            app.switch_page(f"app_pages/{page}.py")
        return app.run()

    st.cache_resource.clear()
    st.cache_data.clear()
    yield open_page
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(autouse=True)
def operators(request, empty_site_file) -> None:
    """The operators of a test marked `operators(name, …, local=…)`, or of its module: the site
    lists the names, and with `local`, the OS accounts that are operators on their own machine."""
    marker = request.node.get_closest_marker("operators")
    if marker is None:
        return
    set_site_setting("OWNER_CONSOLE_OPERATORS", ", ".join(marker.args))
    if "local" in marker.kwargs:
        set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", marker.kwargs["local"])
