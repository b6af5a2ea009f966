"""Engines for the CRM database, and one sentence for every way a connection fails."""

import re

import psycopg
import psycopg.rows
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from lib.db.settings import describe_url
from lib.errors import BadInput, SetupError
from lib.sql import identifier

CONNECT_TIMEOUT_SECONDS = 5
APPLICATION_NAME = "owner-console"


def create_engine_for(url: URL, **options) -> Engine:
    """An engine for `url` with the console's connect timeout and application name; `options` go to
    create_engine (a poolclass, say)."""
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "application_name": APPLICATION_NAME},
        **options,
    )


def connect_once(url: URL) -> psycopg.Connection:
    """A psycopg connection to `url`, with the console's connect timeout and application name, for
    one short read of each of many databases: an Engine's set-up on its first connection (its own
    queries, and SQLAlchemy's first compiles) would cost more than the read itself."""
    return psycopg.connect(
        libpq_conninfo(url),
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        application_name=APPLICATION_NAME,
        autocommit=True,
        row_factory=psycopg.rows.namedtuple_row,
    )


def libpq_conninfo(url: URL) -> str:
    """The libpq connection string of `url`, for connections that psycopg makes itself."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class UnstorableText(BadInput):
    """Text typed into a filter that PostgreSQL text cannot hold, so that nothing stored matches it."""


def recreate_database(server: URL, name: str, template: str | None = None) -> URL:
    """Drop the database `name` on `server` (connections and all) and create it again, empty or
    as a copy of `template`; return its URL."""
    admin = create_engine_for(server)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {identifier(name)} WITH (FORCE)")
            if template:
                connection.exec_driver_sql(
                    f"CREATE DATABASE {identifier(name)} TEMPLATE {identifier(template)}"
                )
            else:
                connection.exec_driver_sql(f"CREATE DATABASE {identifier(name)}")
    finally:
        admin.dispose()
    return server.set(database=name)


def require_storable(label: str, value: str) -> str:
    """`value`, or UnstorableText naming the field: PostgreSQL text holds any character but NUL."""
    if "\x00" in value:
        raise UnstorableText(
            f"{label}: the NUL character cannot be stored in PostgreSQL text, so nothing can match it. "
            "Remove it from the filter."
        )
    return value


def check_reachable(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        raise SetupError(connection_failure(engine.url, error)) from None


def is_connection_problem(error: SQLAlchemyError) -> bool:
    """True when the database could not be reached or went away, not when a statement failed."""
    if getattr(error, "connection_invalidated", False):
        return True
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    # No SQLSTATE: libpq failed before the server answered. 08: connection exception.
    # 57P0x: the server is shutting down or restarting.
    return sqlstate is None or sqlstate.startswith(("08", "57P0"))


def connection_failure(url: URL, error: SQLAlchemyError | psycopg.Error) -> str:
    """'Cannot connect to crm on db.internal:5432: password authentication failed for user "app".'"""
    message = str(getattr(error, "orig", None) or error).strip()
    detail = message.splitlines()[0]
    # libpq prefixes the real cause with where it tried: keep only the cause.
    detail = detail.rsplit(" failed: ", 1)[-1].removeprefix("connection failed: ")
    detail = re.sub(r"FATAL:\s+|\[Errno -?\d+\]\s*", "", detail).strip().rstrip(".")
    hint = " (is the server running?)" if "Is the server running" in message else ""
    return f"Cannot connect to {describe_url(url)}: {detail}{hint}."
