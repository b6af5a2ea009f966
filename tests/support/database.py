"""The test server, its template databases, and a database cloned from a template for each test."""

import functools
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from lib.db.database import create_engine_for
from lib.db.settings import PROJECT_ROOT

# The embedded server by default. scripts/test-pg15 points these at Debian's PostgreSQL 15
# instead, as a second target: TEST_SERVER_URL (a superuser on its postgres database) and the
# data dir, whose pg_hba.conf one test edits.
TEST_SERVER_URL = os.environ.get("TEST_SERVER_URL")
TEST_DATA_DIR = Path(os.environ.get("TEST_SERVER_DATA_DIR", PROJECT_ROOT / ".data" / "pytest"))
SCHEMA_TEMPLATE = "template_schema"
DEMO_TEMPLATE = "template_demo"
# The demo CRM before the migration: at the baseline revision, owner_username alone.
LEGACY_TEMPLATE = "template_legacy"
# Small enough to build in a second, large enough that the quotas still land on both sides of 99%.
DEMO_ACCOUNTS, DEMO_OPPORTUNITIES = 2_000, 6_000
_database_numbers = itertools.count()


def drop_leftovers(url: URL) -> None:
    """The databases that tests of an earlier session left on the server, dropped."""
    with admin_connection(url) as admin:
        leftovers = admin.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 't\\_%'"))
        for (name,) in leftovers.all():
            admin.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')


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
