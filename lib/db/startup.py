"""How the console opens its database: the configured one as it stands, or the embedded demo."""

from collections.abc import Callable

from psycopg.errors import DuplicateDatabase
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ProgrammingError

from lib.db.database import check_reachable, create_engine_for
from lib.db.embedded import start_embedded_server
from lib.db.schema import current_revision, require_current_schema
from lib.db.settings import EMBEDDED_DATABASE, configured_database_url, describe_url, embedded_data_dir
from lib.demo.generator import ensure_demo_loaded
from lib.sql import identifier


def open_console_database(say: Callable[[str], None] = lambda line: None) -> Engine:
    """An engine on a database at head, or a SetupError saying what to fix; say(line) tells each
    step as it starts, for a terminal to show.

    A configured database is never migrated nor loaded with demo data by the console.
    """
    configured = configured_database_url()
    if configured is not None:
        engine = create_engine_for(configured)
        say(f"Checking {describe_url(engine.url)} (DATABASE_URL): the console never migrates it.")
        check_reachable(engine)
        require_current_schema(engine)
    else:
        say(f"Starting the embedded PostgreSQL in {embedded_data_dir()}…")
        engine = create_engine_for(open_embedded_database())
        ensure_demo_loaded(engine, say)
    with engine.connect() as connection:
        say(f"Database ready: {describe_url(engine.url)} at revision {current_revision(connection)}.")
    return engine


def restart_embedded_if_stopped() -> None:
    """With no database configured, the console's is the embedded server: start it if it stopped."""
    if configured_database_url() is None:
        start_embedded_server()


def open_embedded_database(*, replace: bool = False) -> URL:
    """Start or attach to the embedded server and return the URL of its demo database, creating
    that database if needed; `replace` drops an existing one first, connections and all."""
    server_url = start_embedded_server()
    admin = create_engine_for(server_url)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if replace:
                connection.exec_driver_sql(
                    f"DROP DATABASE IF EXISTS {identifier(EMBEDDED_DATABASE)} WITH (FORCE)"
                )
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": EMBEDDED_DATABASE}
            ).first()
            if exists is None:
                try:
                    connection.exec_driver_sql(f"CREATE DATABASE {identifier(EMBEDDED_DATABASE)}")
                except ProgrammingError as error:
                    # Another console process created it a moment ago.
                    if not isinstance(error.orig, DuplicateDatabase):
                        raise
    finally:
        admin.dispose()
    return server_url.set(database=EMBEDDED_DATABASE)
