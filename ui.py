"""What every page shares: the database handle, the sidebar, the trigger banner, and the one way a
page shows that the database is away (and comes back by itself when it returns)."""

import getpass
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from lib.coverage import TableCoverage, table_coverage
from lib.database import connection_failure, is_connection_problem
from lib.schema import current_revision, head_revision
from lib.settings import SetupError, configured_database_url, describe_url
from lib.snapshots import SnapshotScheduler
from lib.sql import query_text
from lib.startup import open_console_database
from lib.triggers import trigger_states
from lib.unresolved import UnresolvedFilter, write_csv

T = TypeVar("T")
RETRY_SECONDS = 5
# Live figures are shared by every viewer for this long, so a refresh costs at most one query.
LIVE_CACHE_SECONDS = 3


@st.cache_resource(show_spinner="Opening the database…", on_release=Engine.dispose)
def _engine() -> Engine:
    return open_console_database()


@st.cache_resource(show_spinner=False, on_release=SnapshotScheduler.stop)
def start_snapshots() -> SnapshotScheduler:
    """One snapshot scheduler per console process, for as long as it runs."""
    scheduler = SnapshotScheduler(_engine_or_stop())
    scheduler.start()
    return scheduler


@contextmanager
def database_problems_shown(retry: bool = True) -> Iterator[None]:
    """Turn a database that is unreachable, away or not migrated into one error on the page.

    With `retry`, the page checks every few seconds and reloads itself once the database is back.
    Inside an auto-refreshing fragment, pass retry=False: the fragment's own refresh recovers.
    """
    try:
        yield
    except SetupError as error:
        _stop_with(str(error), retry)
    except OperationalError as error:
        if not is_connection_problem(error):
            raise
        url = configured_database_url() or _engine().url
        _stop_with(connection_failure(url, error), retry)


def read(fetch: Callable[..., T], *args, retry: bool = True, **kwargs) -> T:
    """fetch(connection, *args, **kwargs) on a connection of its own; `retry` as for
    database_problems_shown."""
    with database_problems_shown(retry), _engine().connect() as connection:
        return fetch(connection, *args, **kwargs)


@st.cache_data(ttl=LIVE_CACHE_SECONDS, show_spinner=False)
def _shared_coverage() -> list[TableCoverage]:
    with _engine().connect() as connection:
        return table_coverage(connection)


def coverage_now(retry: bool = True) -> list[TableCoverage]:
    """The playbook's step-3 figures, at most a few seconds old, shared by every viewer."""
    with database_problems_shown(retry):
        return _shared_coverage()


def trigger_banner() -> None:
    """A warning at the top of every page while any owner trigger is not enabled."""
    states = read(trigger_states)
    off = [state for state in states if not state.enabled]
    if off:
        names = ", ".join(f"`{state.name}` ({state.state})" for state in off)
        st.warning(
            f"Owner triggers not enabled: {names}. Writes are not kept in step and "
            "owner_backfill_errors is not maintained until they are enabled again.",
            icon=":material/warning:",
        )


def sidebar() -> None:
    engine = _engine_or_stop()
    revision, head = read(current_revision), head_revision()
    with st.sidebar:
        source = "DATABASE_URL" if configured_database_url() else "embedded demo"
        st.caption(f"**Database** {describe_url(engine.url)} ({source})")
        behind = "" if revision == head else f" — head is {head}"
        st.caption(f"**Revision** {revision}{behind}")
        st.caption(f"**Viewer** {viewer()}")


def viewer() -> str:
    # st.user knows is_logged_in only when [auth] is configured.
    if st.user.get("is_logged_in"):
        return str(st.user.get("email") or st.user.get("name"))
    return f"{getpass.getuser()} (local)"


def show_sql(name: str, table: str | None = None, label: str = "SQL behind this figure") -> None:
    with st.expander(label):
        st.code(query_text(name, table), language="sql", wrap_lines=True)


def unresolved_csv(rows: UnresolvedFilter) -> bytes:
    """The CSV of the filtered rows, built when the download is clicked. The rows stream from
    the database; Streamlit serves the finished file from memory (about 10 MB per 100k rows)."""
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    with _engine().connect() as connection:
        write_csv(connection, rows, text)
    text.flush()
    return out.getvalue()


def _engine_or_stop() -> Engine:
    with database_problems_shown():
        return _engine()


def _stop_with(message: str, retry: bool) -> None:
    st.error(message, icon=":material/database_off:")
    if retry:
        _retry_until_back()
    st.stop()


@st.fragment(run_every=RETRY_SECONDS)
def _retry_until_back() -> None:
    try:
        with _engine().connect():
            pass
    except (SetupError, OperationalError):
        st.caption(f"Trying again every {RETRY_SECONDS} seconds; the page comes back by itself.")
        return
    st.rerun(scope="app")
