"""Throttling (docs/design.md, Throttling): before each batch the runner measures every signal of
lib/registry.THROTTLE_SIGNALS, and any one over its limit holds the batch. Each limit has a
default, a console setting (the environment or .streamlit/secrets.toml) and a CLI option; 0 turns
a limit off, as PostgreSQL's own timeouts do.

The defaults, and why:
- replica lag 10 s: a healthy standby replays a batch in well under a second; ten seconds behind
  is a standby that is paused, stuck or overwhelmed, and readers of it see stale owners.
- transaction age 300 s: while a transaction is open, VACUUM keeps every dead row version the
  batches leave; at 25,000 rows a second, five minutes is millions of them.
- lock wait 1 s: CRM writers wait milliseconds for a row; a wait over a second is a queue,
  often behind DDL, that the next batch would lengthen.
- VACUUM on the table being filled: held by default, so that it finishes its pass sooner than
  a run adding dead rows under it would let it.
- health query: none. An operator's SQL, set in the console's settings or on the command line,
  never typed in a page: it runs with the console's database role.
"""

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
from sqlalchemy import Connection

from lib.db.settings import SECRETS_FILE, console_setting
from lib.errors import SettingError
from lib.jobs.settings import RunSettingsError, require_within
from lib.registry import MIGRATED_TABLES, THROTTLE_SIGNALS
from lib.sql import query

# How often a held run measures again, and writes that it still waits.
RECHECK_SECONDS = 1.0
HEALTH_QUERY_TIMEOUT_MS = 5_000


@dataclass(frozen=True)
class Limit:
    setting: str
    default: float
    high: float
    option: str  # the CLI option that sets it for one run


LIMITS = {
    "replica_lag": Limit("OWNER_CONSOLE_MAX_REPLICA_LAG", 10, 3_600, "--max-replica-lag"),
    "transaction_age": Limit("OWNER_CONSOLE_MAX_TRANSACTION_AGE", 300, 86_400, "--max-transaction-age"),
    "lock_wait": Limit("OWNER_CONSOLE_MAX_LOCK_WAIT", 1, 3_600, "--max-lock-wait"),
}
VACUUM_SETTING = "OWNER_CONSOLE_HOLD_FOR_VACUUM"
HEALTH_QUERY_SETTING = "OWNER_CONSOLE_HEALTH_QUERY"


@dataclass(frozen=True)
class ThrottleSettings:
    """The limits of one run, in seconds; 0 turns a signal off."""

    max_replica_lag: float = LIMITS["replica_lag"].default
    max_transaction_age: float = LIMITS["transaction_age"].default
    max_lock_wait: float = LIMITS["lock_wait"].default
    hold_for_vacuum: bool = True
    health_query: str = ""

    def __post_init__(self) -> None:
        for signal, limit in LIMITS.items():
            value = getattr(self, f"max_{signal}")
            says = (
                f"{limit.option} must be a number of seconds from 0 (off) to {limit.high:,}; got {value!r}."
            )
            require_within(value, 0, limit.high, says, whole=False)

    def as_json(self) -> dict:
        return asdict(self)


def throttle_settings(
    environ: Mapping[str, str] = os.environ, secrets_file: Path = SECRETS_FILE
) -> ThrottleSettings:
    """The site's throttle defaults, from its settings; a SettingError names a bad one."""
    limits = {}
    for signal, limit in LIMITS.items():
        raw = console_setting(limit.setting, environ, secrets_file)
        try:
            limits[f"max_{signal}"] = float(raw) if raw else limit.default
        except ValueError:
            raise SettingError(
                f"{limit.setting} is {raw!r}; use a number of seconds, 0 to turn it off."
            ) from None
    vacuum = console_setting(VACUUM_SETTING, environ, secrets_file).lower()
    if vacuum not in ("", "true", "false"):
        raise SettingError(f"{VACUUM_SETTING} is {vacuum!r}; use true or false.")
    try:
        return ThrottleSettings(
            **limits,
            hold_for_vacuum=vacuum != "false",
            health_query=console_setting(HEALTH_QUERY_SETTING, environ, secrets_file),
        )
    except RunSettingsError as error:
        raise SettingError(str(error)) from None


@dataclass(frozen=True)
class Hold:
    """Why the next batch waits: a signal of THROTTLE_SIGNALS (or `paused`) and what was seen."""

    signal: str
    detail: str


def first_hold(connection: Connection, settings: ThrottleSettings, table: str) -> Hold | None:
    """The first signal over its limit now, in the registry's order; None when the batch may go.
    Ends the transaction it measured in, so that the runner holds no snapshot while it waits."""
    try:
        for signal in THROTTLE_SIGNALS:
            hold = MEASURES[signal](connection, settings, table)
            if hold is not None:
                return hold
        return None
    finally:
        connection.rollback()


def _replica_lag(connection: Connection, settings: ThrottleSettings, table: str) -> Hold | None:
    if not settings.max_replica_lag:
        return None
    for standby in connection.execute(query("throttle_replica_lag")).all():
        if standby.value is None:
            return Hold(
                "replica_lag",
                f"standby {standby.subject}'s lag cannot be read: grant pg_monitor to the console's role, "
                "or turn the limit off with 0",
            )
        if standby.value > settings.max_replica_lag:
            return Hold(
                "replica_lag",
                f"standby {standby.subject} lags {standby.value:.1f} s "
                f"(limit {settings.max_replica_lag:g} s)",
            )
    return None


def _transaction_age(connection: Connection, settings: ThrottleSettings, table: str) -> Hold | None:
    oldest = connection.execute(query("throttle_transaction_age")).one_or_none()
    if not settings.max_transaction_age or oldest is None or oldest.value <= settings.max_transaction_age:
        return None
    return Hold(
        "transaction_age",
        f"{oldest.subject} has had a transaction open for {oldest.value:.0f} s "
        f"(limit {settings.max_transaction_age:g} s)",
    )


def _lock_wait(connection: Connection, settings: ThrottleSettings, table: str) -> Hold | None:
    if not settings.max_lock_wait:
        return None
    longest = connection.execute(query("throttle_lock_wait"), {"tables": list(MIGRATED_TABLES)}).one_or_none()
    if longest is None or longest.value <= settings.max_lock_wait:
        return None
    return Hold(
        "lock_wait", f"{longest.subject} for {longest.value:.1f} s (limit {settings.max_lock_wait:g} s)"
    )


def _vacuum(connection: Connection, settings: ThrottleSettings, table: str) -> Hold | None:
    if not settings.hold_for_vacuum:
        return None
    running = connection.execute(query("throttle_vacuum"), {"table": table}).one_or_none()
    if running is None:
        return None
    return Hold("vacuum", f"{running.subject} on {table}, for {running.value:.0f} s")


def _health_query(connection: Connection, settings: ThrottleSettings, table: str) -> Hold | None:
    if not settings.health_query:
        return None
    try:
        healthy, said = health_answer(connection, settings.health_query)
    except HealthQueryFailed as error:
        return Hold("health_query", f"it failed: {error}")
    return None if healthy else Hold("health_query", f"it said {said}")


MEASURES = {
    "replica_lag": _replica_lag,
    "transaction_age": _transaction_age,
    "lock_wait": _lock_wait,
    "vacuum": _vacuum,
    "health_query": _health_query,
}


class HealthQueryFailed(Exception):
    """The health query raised an error, or its answer was no boolean."""


def health_answer(connection: Connection, sql: str) -> tuple[bool, str]:
    """Run the operator's health query, read-only and briefly: healthy when the first column of its
    first row is true; what it said is its second column when it has one."""
    connection.execute(
        query("throttle_health_timeout"), {"statement_timeout": f"{HEALTH_QUERY_TIMEOUT_MS}ms"}
    )
    try:
        # The operator's SQL as written: through the driver, so that a % or a colon in it is no
        # placeholder.
        row = connection.connection.driver_connection.execute(sql).fetchone()
    except psycopg.Error as error:
        connection.rollback()
        raise HealthQueryFailed(str(error).splitlines()[0]) from None
    if row is None or not isinstance(row[0], bool):
        gave = "no row" if row is None else repr(row[0])
        raise HealthQueryFailed(f"its first column must be a boolean (true: healthy); it gave {gave}")
    said = row[1] if len(row) > 1 else row[0]
    return row[0], said if isinstance(said, str) else repr(said)


def check_health_query(connection: Connection, settings: ThrottleSettings) -> None:
    """Before a run starts: a health query that fails, or answers no boolean, is bad input."""
    if not settings.health_query:
        return
    try:
        health_answer(connection, settings.health_query)
    except HealthQueryFailed as error:
        raise RunSettingsError(f"The health query cannot be used: {error}.") from None
    finally:
        connection.rollback()
