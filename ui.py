"""What every page shares: the database handle, the sidebar, the trigger banner, and the one way a
page shows that the database is away (and comes back by itself when it returns)."""

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

import streamlit as st
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from lib.aliases.store import ProposedAlias, Rejection, Removal
from lib.aliases.suggestions import UnresolvedName, remediation_inputs, unresolved_names
from lib.backfill.runner import settle_dead_runs as mark_runs_of_dead_processes
from lib.backfill.settings import BatchSettings
from lib.coverage.counts import TableCoverage, table_coverage
from lib.coverage.preflight import username_matches
from lib.coverage.snapshots import SnapshotScheduler
from lib.db.database import UnstorableText, connection_failure, is_connection_problem
from lib.db.schema import current_revision, head_revision
from lib.db.settings import SettingError, SetupError, configured_database_url, describe_url
from lib.db.shared_read import Computed, SharedRead
from lib.db.startup import open_console_database, restart_embedded_if_stopped
from lib.guard.actions import (
    AliasesAdded,
    Refused,
    add_aliases,
    cancel_backfill,
    change_triggers,
    drop_aliases,
    start_backfill_in_background,
)
from lib.guard.audit import AuditFilter, write_audit_csv
from lib.guard.identity import OPERATOR, Identity, NoIdentity, role_of, visitor_identity
from lib.guard.triggers import TableBusy, trigger_states
from lib.remainder.unresolved import UnresolvedFilter, write_csv
from lib.sql import query_text
from lib.view.display import as_text

T = TypeVar("T")
RETRY_SECONDS = 5
# Live figures are shared by every viewer for this long, so a refresh costs at most one query.
LIVE_CACHE_SECONDS = 3
# Suggestions take seconds on a large remainder (bench/suggestions.py), and every click in the
# review table reruns its page; they are reused for this long while no run or alias changes.
# A stale list writes nothing wrong: applying checks every mapping against the database again.
SUGGESTIONS_CACHE_SECONDS = 60
# Recompute, and the distinct-username count (a scan of both tables), give everyone the result of
# the last request when it is younger than this, however often anyone asks.
ON_REQUEST_REUSE_SECONDS = 30


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
    except SettingError as error:
        _stop_with(str(error), retry=False)  # nothing comes back until the setting is fixed
    except SetupError as error:
        _stop_with(str(error), retry)
    except OperationalError as error:
        if not is_connection_problem(error):
            raise
        url = configured_database_url() or _engine().url
        _stop_with(connection_failure(url, error), retry)


@contextmanager
def input_problems_shown() -> Iterator[None]:
    """Text typed into a filter that no stored value can match: one error, and the page stops there."""
    try:
        yield
    except UnstorableText as error:
        st.error(str(error), icon=":material/edit_off:")
        st.stop()


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


@st.cache_resource(show_spinner=False)
def _shared_reads() -> dict[str, SharedRead]:
    """One of each per console process, shared by every session."""
    return {
        "suggestions": SharedRead("suggestions", unresolved_names),
        "username_matches": SharedRead("username matches", username_matches),
    }


def suggestions(recompute: bool = False) -> Computed[list[UnresolvedName]]:
    """The unresolved usernames with their candidates, and when they were computed; reused while
    no run or alias changes, for SUGGESTIONS_CACHE_SECONDS, or ON_REQUEST_REUSE_SECONDS when
    `recompute` asks for a fresh list."""
    max_age = ON_REQUEST_REUSE_SECONDS if recompute else SUGGESTIONS_CACHE_SECONDS
    with database_problems_shown(), st.spinner("Finding candidate owners…"):
        return _shared_reads()["suggestions"].fetch(_engine(), max_age, key=read(remediation_inputs))


def counted_username_matches(count_now: bool = False) -> Computed[list[dict]] | None:
    """The distinct-username counts last taken by anyone, or None; `count_now` counts afresh
    unless they are younger than ON_REQUEST_REUSE_SECONDS."""
    work = _shared_reads()["username_matches"]
    if not count_now:
        return work.latest()
    with database_problems_shown(), st.spinner("Counting the distinct usernames…"):
        return work.fetch(_engine(), ON_REQUEST_REUSE_SECONDS)


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
        who = identity()
        st.caption(f"**Viewer** {who}, {role_of(who)}")
        if who.source == "oidc":
            st.button("Sign out", on_click=st.logout)


def identity() -> Identity:
    """Who is looking (lib.identity.visitor_identity). A visitor whom the configured sign-in did not
    identify gets the sign-in or refusal page, and the script stops there."""
    who = visitor_identity(st.user, st.context.headers.get_all)
    if isinstance(who, NoIdentity):
        _stop_at_the_door(who)
    return who


def _stop_at_the_door(visitor: NoIdentity) -> None:
    st.title("Owner migration console")
    if visitor.source == "oidc":
        st.info(visitor.message, icon=":material/login:")
        st.button("Sign in", type="primary", on_click=st.login)
    else:
        st.error(visitor.message, icon=":material/no_accounts:")
    st.stop()


def may_act() -> tuple[bool, str]:
    """Whether to enable action controls, and the reason when not. The action itself checks again."""
    who = identity()
    if role_of(who) == OPERATOR:
        return True, ""
    return False, f"{who} is a viewer: actions are for operators listed in the console's configuration."


def start_backfill(settings: BatchSettings) -> None:
    with database_problems_shown():
        start_backfill_in_background(_engine(), identity(), settings)


def cancel_running_backfill() -> int | None:
    with database_problems_shown():
        return cancel_backfill(_engine(), identity())


def approve_aliases(
    proposals: list[ProposedAlias], source: str, note: str, unreadable: list[Rejection]
) -> AliasesAdded:
    with database_problems_shown():
        return add_aliases(_engine(), identity(), proposals, source, note, unreadable)


def remove_aliases(legacy_usernames: list[str]) -> list[Removal]:
    with database_problems_shown():
        return drop_aliases(_engine(), identity(), legacy_usernames)


def settle_dead_runs() -> None:
    with database_problems_shown(retry=False):
        mark_runs_of_dead_processes(_engine())


def trigger_control(key: str) -> None:
    """Enable or disable owner triggers, with a typed confirmation naming what will change."""
    allowed, reason = may_act()
    if done := st.session_state.pop(f"{key}_done", None):
        st.success(f"Done: {done}.", icon=":material/check_circle:")
        st.session_state[f"{key}_confirm"] = ""  # a confirmation is good for one change only
    states = read(trigger_states)
    names = st.multiselect(
        "Triggers",
        [s.name for s in states],
        default=[s.name for s in states],
        key=f"{key}_names",
        disabled=not allowed,
    )
    change = st.radio(
        "Change", ("disable", "enable"), horizontal=True, key=f"{key}_change", disabled=not allowed
    )
    phrase = f"{change} {counted(len(names), 'trigger')}"
    # Plain text, not markdown: the label is also the field's accessible name.
    typed = st.text_input(f'Type "{phrase}" to confirm', key=f"{key}_confirm", disabled=not allowed)
    if not allowed:
        st.caption(reason)
    if st.button(
        phrase.capitalize(),
        type="primary",
        disabled=not allowed or typed.strip() != phrase or not names,
        key=f"{key}_apply",
    ):
        try:
            with database_problems_shown():
                change_triggers(_engine(), identity(), names, enable=change == "enable")
        except (Refused, TableBusy, ValueError) as error:
            st.error(as_text(error))
        else:
            # Shown by the rerun, which redraws the banner and the trigger states.
            st.session_state[f"{key}_done"] = phrase
            st.rerun()


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """'1 alias', '3 aliases': a count with its noun in the right number."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def show_sql(name: str, table: str | None = None, label: str = "SQL behind this figure") -> None:
    with st.expander(label):
        st.code(query_text(name, table), language="sql", wrap_lines=True)


def unresolved_csv(rows: UnresolvedFilter) -> bytes:
    """The CSV of the filtered rows, built when the download is clicked. The rows stream from
    the database; Streamlit serves the finished file from memory (about 10 MB per 100k rows)."""
    return _csv_bytes(lambda connection, out: write_csv(connection, rows, out))


def audit_csv(entries: AuditFilter) -> bytes:
    return _csv_bytes(lambda connection, out: write_audit_csv(connection, entries, out))


def _csv_bytes(write: Callable[[Connection, TextIO], int]) -> bytes:
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    with _engine().connect() as connection:
        write(connection, text)
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
        restart_embedded_if_stopped()
        with _engine().connect():
            pass
    except (SetupError, OperationalError):
        st.caption(f"Trying again every {RETRY_SECONDS} seconds; the page comes back by itself.")
        return
    st.rerun(scope="app")
