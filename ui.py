"""What every page shares: the database, opened once per process."""

import streamlit as st
from sqlalchemy import Engine

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
