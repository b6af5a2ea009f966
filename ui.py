"""What every page shares: the database, opened once per process."""

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from lib.database import connection_failure
from lib.settings import SetupError
from lib.startup import open_console_database


@st.cache_resource(show_spinner="Opening the database…")
def _engine() -> Engine:
    return open_console_database()


def database() -> Engine:
    """The console's engine; when the database can't be used, one error a person can act on."""
    try:
        return _engine()
    except SetupError as error:
        st.error(str(error))
        st.stop()


@contextmanager
def connection() -> Iterator[Connection]:
    """A connection for this run of the page; a database that went away since is named, not raised."""
    engine = database()
    try:
        opened = engine.connect()
    except OperationalError as error:
        st.error(connection_failure(engine.url, error))
        st.stop()
    with opened:
        yield opened
