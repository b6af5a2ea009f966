"""The console's database handle, shared by every session: reads, shared reads and CSV downloads,
and the one way a page shows that the database is away, unreachable or not migrated (and comes
back by itself when it returns)."""

import contextlib
import io
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import BinaryIO, TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from lib.aliases.suggestions import (
    KeptSuggestions,
    NameFilter,
    UnresolvedName,
    compute_suggestions,
    kept_suggestions,
    shown_names,
)
from lib.background import jobs as background
from lib.coverage.counts import TableCoverage, table_coverage
from lib.coverage.preflight import username_matches
from lib.db.database import connection_failure, is_connection_problem
from lib.db.embedded import restart_embedded_if_stopped
from lib.db.settings import configured_database_url
from lib.db.shared_read import Computed, SharedRead
from lib.demo.startup import open_console_database
from lib.drift.verify import write_drift_csv
from lib.errors import SettingError, SetupError
from lib.fleet.export import write_fleet_csv
from lib.fleet.members import configured_fleet, member_named, open_member_database
from lib.fleet.status import FleetStatus, MemberGlance, fleet_status
from lib.fleet.status import fleet_glances as read_fleet_glances
from lib.guard.audit import AuditFilter, write_audit_csv
from lib.remainder.unresolved import UnresolvedFilter, write_csv

T = TypeVar("T")
RETRY_SECONDS = 5
# Live figures are shared by every viewer for this long, so a refresh costs at most one query.
LIVE_CACHE_SECONDS = 3
# Recompute (of the suggestions), and the distinct-username count (a scan of both tables), give
# everyone the result of the last request when it is younger than this, however often anyone asks.
ON_REQUEST_REUSE_SECONDS = 30


# The fleet member that this session's pages show (the sidebar's choice), or None for the console's
# own database: without a fleet, and on the Fleet page.
CHOSEN_MEMBER = "database_member"


def show_member(name: str | None) -> None:
    """The member that the page about to be drawn reads and acts on; app.py sets it each run."""
    st.session_state[CHOSEN_MEMBER] = name


@st.cache_resource(show_spinner="Opening the database…", on_release=Engine.dispose)
def _engine_of(member: str | None) -> Engine:
    if member is None:
        return open_console_database()
    return open_member_database(member_named(configured_fleet()[1], member))


def _engine() -> Engine:
    return _engine_of(st.session_state.get(CHOSEN_MEMBER))


def engine() -> Engine:
    """The engine of the database the page shows; one that cannot be opened stops the page with
    its reason."""
    with database_problems_shown():
        return _engine()


@st.cache_resource(show_spinner=False, on_release=background.BackgroundJobs.stop)
def start_background_jobs() -> background.BackgroundJobs:
    """The process's background jobs, unless its launcher (ui.serve) already started them: a
    console run by `streamlit run app.py` starts them with its first page. They keep the console's
    own database; each fleet member's are kept by its own console."""
    with database_problems_shown():
        return background.start_background_jobs(_engine_of(None))


@contextmanager
def database_problems_shown(retry: bool = True) -> Iterator[None]:
    """Turn a database that is unreachable, away or not migrated into one error on the page.

    With `retry`, the page checks every few seconds and reloads itself once the database is back.
    Inside an auto-refreshing fragment, pass retry=False: the fragment's own refresh recovers.
    """
    try:
        yield
    except SettingError as error:
        _stop_with(str(error), retry=False)  # nothing comes back until the setting is fixed
    except (SetupError, OperationalError) as error:
        _stop_with(problem_sentence(error), retry)


def problem_sentence(error: SetupError | OperationalError) -> str:
    """What a database that is unreachable, away or not migrated means, in one sentence; an
    OperationalError that is not about the connection is raised again."""
    if isinstance(error, SetupError):
        return str(error)
    if not is_connection_problem(error):
        raise error
    shown = st.session_state.get(CHOSEN_MEMBER)
    url = configured_database_url() if shown is None else member_named(configured_fleet()[1], shown).url()
    return connection_failure(url or _engine().url, error)


def read(fetch: Callable[..., T], *args, retry: bool = True, **kwargs) -> T:
    """fetch(connection, *args, **kwargs) on a connection of its own; `retry` as for
    database_problems_shown."""
    with database_problems_shown(retry), _engine().connect() as connection:
        return fetch(connection, *args, **kwargs)


@st.cache_data(ttl=LIVE_CACHE_SECONDS, show_spinner=False)
def _shared_coverage(member: str | None) -> list[TableCoverage]:
    with _engine_of(member).connect() as connection:
        return table_coverage(connection)


@st.cache_data(ttl=LIVE_CACHE_SECONDS, show_spinner=False)
def _shared_fleet_status() -> FleetStatus:
    return fleet_status(configured_fleet()[1])


class _Glances:
    """Each member at a glance, read in a thread of its own so that no page waits for it: the
    latest result, and the read under way. Shared by every session."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fleet-glances")
        self.latest: dict[str, MemberGlance] | None = None
        self.reading: Future | None = None
        self.started = -GLANCE_SECONDS

    def result(self) -> dict[str, MemberGlance] | None:
        with self.lock:
            if self.reading is not None and self.reading.done():
                with contextlib.suppress(Exception):  # a failed read keeps the last one
                    self.latest = self.reading.result()
                self.reading = None
            return self.latest

    def refresh(self, status: FleetStatus) -> None:
        with self.lock:
            if self.reading is None and time.monotonic() - self.started >= GLANCE_SECONDS:
                self.reading = self.pool.submit(read_fleet_glances, status.members)
                self.started = time.monotonic()


# How often each member's triggers, runs, drift and readiness are read again.
GLANCE_SECONDS = 10


@st.cache_resource(show_spinner=False)
def _glances() -> _Glances:
    return _Glances()


def fleet_glances() -> dict[str, MemberGlance] | None:
    """Each member's triggers, last run, drift and readiness as last read, or None before the
    first read is in."""
    return _glances().result()


def read_fleet_glances_again() -> None:
    """Start reading them again in the background when the last read is GLANCE_SECONDS old: the
    Fleet page calls this once it is drawn, so that the read never slows its drawing."""
    with database_problems_shown(retry=False):
        _glances().refresh(_shared_fleet_status())


def fleet_status_now() -> FleetStatus:
    """Every member of the configured fleet and the rollup, at most a few seconds old, shared by
    every viewer; a fleet file that cannot be used stops the page with its sentence."""
    with database_problems_shown(retry=False):
        return _shared_fleet_status()


def coverage_now(retry: bool = True) -> list[TableCoverage]:
    """The playbook's step-3 figures, at most a few seconds old, shared by every viewer."""
    with database_problems_shown(retry):
        return _shared_coverage(st.session_state.get(CHOSEN_MEMBER))


@st.cache_resource(show_spinner=False)
def _shared_reads(member: str | None) -> dict[str, SharedRead]:
    """One of each per database and console process, shared by every session."""
    return {
        "username_matches": SharedRead("username matches", username_matches),
    }


def kept_alias_suggestions() -> KeptSuggestions | None:
    """What the background job last computed, or None if it has not yet."""
    return read(kept_suggestions)


def shown_alias_suggestions(names: NameFilter) -> tuple[list[UnresolvedName], int]:
    return read(shown_names, names)


def recompute_alias_suggestions() -> None:
    """Compute them now, unless they are younger than ON_REQUEST_REUSE_SECONDS."""
    with (
        database_problems_shown(),
        st.spinner("Finding candidate owners…"),
        _engine().connect() as connection,
    ):
        compute_suggestions(connection, reuse_younger_than=ON_REQUEST_REUSE_SECONDS)


def counted_username_matches(count_now: bool = False) -> Computed[list[dict]] | None:
    """The distinct-username counts last taken by anyone, or None; `count_now` counts afresh
    unless they are younger than ON_REQUEST_REUSE_SECONDS."""
    work = _shared_reads(st.session_state.get(CHOSEN_MEMBER))["username_matches"]
    if not count_now:
        return work.latest()
    with database_problems_shown(), st.spinner("Counting the distinct usernames…"):
        return work.fetch(_engine(), ON_REQUEST_REUSE_SECONDS)


def unresolved_csv(rows: UnresolvedFilter) -> bytes:
    """The CSV of the filtered rows, built when the download is clicked. The rows stream from
    the database; Streamlit serves the finished file from memory (about 10 MB per 100k rows)."""
    return _csv_bytes(lambda out: _on_a_connection(write_csv, rows, out))


def audit_csv(entries: AuditFilter) -> bytes:
    return _csv_bytes(lambda out: _on_a_connection(write_audit_csv, entries, out))


def drift_csv(run_id: int) -> bytes:
    return _csv_bytes(lambda out: _on_a_connection(write_drift_csv, run_id, out))


def fleet_unresolved_csv() -> bytes:
    """Every member's unresolved rows in one CSV, the member's name first, as `lib.cli fleet
    export-unresolved` writes it."""
    return _csv_bytes(lambda out: write_fleet_csv(configured_fleet()[1], UnresolvedFilter(), out))


def _on_a_connection(write: Callable[..., int], what, out: BinaryIO) -> int:
    with _engine().connect() as connection:
        return write(connection, what, out)


def _csv_bytes(write: Callable[[BinaryIO], object]) -> bytes:
    out = io.BytesIO()
    write(out)
    return out.getvalue()


def _stop_with(message: str, retry: bool) -> None:
    st.error(message, icon=":material/database_off:")
    if retry:
        _retry_until_back()
    else:
        # An auto-refreshing fragment: its next refresh finds the embedded server started again,
        # as a page load's retry does.
        with contextlib.suppress(SetupError):
            restart_embedded_if_stopped()
    st.stop()


@st.fragment(run_every=RETRY_SECONDS)
def _retry_until_back() -> None:
    try:
        restart_embedded_if_stopped()
        with _engine().connect():
            pass
    except (SetupError, OperationalError):
        st.caption(f"Trying again every {RETRY_SECONDS} seconds; the page comes back by itself.")
        return
    st.rerun(scope="app")
