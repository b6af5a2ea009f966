"""One embedded PostgreSQL per test session, template databases migrated once, and a fresh
database cloned from a template for every test."""

import functools
import itertools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from lib.db.database import create_engine_for
from lib.db.embedded import start_embedded_server
from lib.db.schema import BASELINE_REVISION, upgrade
from lib.db.settings import PROJECT_ROOT, SITE_FILE_SETTING, parse_database_url
from lib.demo.generator import load_demo
from tests.browser.console import chromium
from tests.site import write_site_file

# The embedded server by default. scripts/test-pg15 points these at Debian's PostgreSQL 15
# instead, as a second target: TEST_SERVER_URL (a superuser on its postgres database) and the
# data dir, whose pg_hba.conf one test edits.
TEST_SERVER_URL = os.environ.get("TEST_SERVER_URL")
TEST_DATA_DIR = Path(os.environ.get("TEST_SERVER_DATA_DIR", PROJECT_ROOT / ".data" / "pytest"))
SCHEMA_TEMPLATE = "template_schema"
DEMO_TEMPLATE = "template_demo"
# Small enough to build in a second, large enough that the quotas still land on both sides of 99%.
DEMO_ACCOUNTS, DEMO_OPPORTUNITIES = 2_000, 6_000

_database_numbers = itertools.count()


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
    """Each test starts with no operator listed and no proxy secret; tests.site sets them."""
    write_site_file(site_file, {})


@pytest.fixture(scope="session")
def server_url() -> URL:
    """The session's server, with the two templates built afresh."""
    url = parse_database_url(TEST_SERVER_URL) if TEST_SERVER_URL else start_embedded_server(TEST_DATA_DIR)
    with admin_connection(url) as admin:
        leftovers = admin.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 't\\_%'"))
        for (name,) in leftovers.all():
            admin.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    build_template(url, SCHEMA_TEMPLATE, lambda connection: upgrade(connection, "head"))
    build_template(
        url, DEMO_TEMPLATE, lambda connection: load_demo(connection, DEMO_ACCOUNTS, DEMO_OPPORTUNITIES)
    )
    return url


def build_template(server_url: URL, name: str, step: Callable[[Connection], object]) -> None:
    """(Re)create the database `name` and run `step` on it, to be cloned by tests."""
    with admin_connection(server_url) as admin:
        admin.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.exec_driver_sql(f"CREATE DATABASE {name}")
    build(server_url.set(database=name), step)


def admin_connection(url: URL) -> Connection:
    return (
        admin_engine(url.set(database="postgres")).connect().execution_options(isolation_level="AUTOCOMMIT")
    )


@functools.cache
def admin_engine(url: URL) -> Engine:
    return create_engine_for(url)


def build(url: URL, step: Callable[[Connection], object]) -> None:
    # Disposed at once: a template must have no open connection when it is cloned.
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            step(connection)
    finally:
        engine.dispose()


def clone(server_url: URL, template: str) -> Iterator[Engine]:
    name = f"t_{os.getpid()}_{next(_database_numbers)}"
    with admin_connection(server_url) as admin:
        admin.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    engine = create_engine_for(server_url.set(database=name))
    yield engine
    engine.dispose()
    with admin_connection(server_url) as admin:
        admin.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def password_login(server_url: URL, role: str, password: str, *attributes: str) -> URL:
    """(Re)create `role`, which must log in with `password` (the rest of the test server trusts
    local users); returns its URL on the postgres database."""
    hba = TEST_DATA_DIR / "pg_hba.conf"
    rule = f"local all {role} scram-sha-256\n"
    if rule not in hba.read_text():
        hba.write_text(rule + hba.read_text())
    with admin_connection(server_url) as admin:
        admin.execute(text("SELECT pg_reload_conf()"))
        admin.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}' {' '.join(attributes)}")
    return server_url.set(username=role, password=password, database="postgres")


def wait_for(condition: Callable[[], object], what: str, timeout: float = 30) -> None:
    """Poll `condition` until it holds: for states that no event announces, such as a backend
    waiting on a lock or a killed client's backend gone."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


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


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, one for the session: Playwright's sync API runs one instance per thread."""
    with chromium() as browser:
        yield browser
