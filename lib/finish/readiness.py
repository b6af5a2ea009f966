"""The readiness gates (docs/design.md, The finish line): what must hold before the contract
migration drops the legacy column. Each gate gives its evidence, its threshold, and the setting that
changes it. The Finish page, the runbook, `python -m lib.cli readiness` and the contract migration's
own upgrade read them from here."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection

from lib.coverage.counts import TARGET_PCT, table_coverage
from lib.db.schema import CLI
from lib.db.settings import SECRETS_FILE, console_setting
from lib.errors import SettingError
from lib.guard.triggers import trigger_states
from lib.registry import MIGRATED_TABLES, OWNER_TRIGGERS
from lib.sql import query
from lib.text import age, counted, in_words

DAY, HOUR = 86_400, 3_600


@dataclass(frozen=True)
class Threshold:
    setting: str  # where it is set: the environment or .streamlit/secrets.toml
    default: int
    unit: str  # "days" or "hours"

    def read(self, environ: Mapping[str, str], secrets_file: Path) -> int:
        raw = console_setting(self.setting, environ, secrets_file)
        if not raw:
            return self.default
        if not raw.isdigit() or int(raw) == 0:
            raise SettingError(f"{self.setting} is {raw!r}; use a whole number of {self.unit}, at least 1.")
        return int(raw)


THRESHOLDS = {
    "coverage_held_days": Threshold("OWNER_CONSOLE_COVERAGE_HELD_DAYS", 7, "days"),
    "verify_max_age_hours": Threshold("OWNER_CONSOLE_VERIFY_MAX_AGE_HOURS", 24, "hours"),
    "legacy_quiet_days": Threshold("OWNER_CONSOLE_LEGACY_QUIET_DAYS", 7, "days"),
    "triggers_on_days": Threshold("OWNER_CONSOLE_TRIGGERS_ON_DAYS", 7, "days"),
}


@dataclass(frozen=True)
class ReadinessSettings:
    coverage_held_days: int
    verify_max_age_hours: int
    legacy_quiet_days: int
    triggers_on_days: int


def readiness_settings(
    environ: Mapping[str, str] = os.environ, secrets_file: Path = SECRETS_FILE
) -> ReadinessSettings:
    """The gates' thresholds, from the environment or .streamlit/secrets.toml; a SettingError
    names a bad one."""
    return ReadinessSettings(**{name: t.read(environ, secrets_file) for name, t in THRESHOLDS.items()})


# Each gate's id, as metrics label it; a coverage gate per migrated table.
GATE_IDS = (
    *(f"coverage_held_{table}" for table in MIGRATED_TABLES),
    "verify_passed",
    "no_legacy_writes",
    "owner_triggers_on",
    "foreign_keys_validated",
)


@dataclass(frozen=True)
class Gate:
    id: str  # stable, for metrics and alert rules: GATE_IDS
    name: str
    holds: bool
    evidence: str
    threshold: str
    setting: str | None  # the setting that changes the threshold; None when it is fixed
    sql_name: str  # the named query behind the evidence
    table: str | None = None
    # Seconds until it holds if nothing changes: 0 when it holds, None when waiting cannot make it
    # hold (an action must come first: a backfill, a verify, the triggers enabled).
    holds_in: float | None = 0


def readiness(connection: Connection, settings: ReadinessSettings) -> list[Gate]:
    """Every gate, evaluated now, in the order a person works through them."""
    return [
        *_coverage_gates(connection, settings.coverage_held_days),
        _verify_gate(connection, settings.verify_max_age_hours),
        _legacy_writes_gate(connection, settings.legacy_quiet_days),
        _triggers_gate(connection, settings.triggers_on_days),
        _foreign_keys_gate(connection),
    ]


def all_hold(gates: list[Gate]) -> bool:
    return all(gate.holds for gate in gates)


def outlook(gates: list[Gate], now: datetime) -> str:
    """When every gate can hold at the earliest, if nothing changes; or what must be done first."""
    failing = [gate for gate in gates if not gate.holds]
    if not failing:
        return "Every readiness gate holds."
    acting = [gate.name for gate in failing if gate.holds_in is None]
    waiting = [gate.holds_in for gate in failing if gate.holds_in is not None]
    earliest = f"{now + timedelta(seconds=max(waiting)):%Y-%m-%d %H:%M} UTC" if waiting else ""
    if not acting:
        return f"Every gate can hold at the earliest {earliest}, if nothing changes."
    first = f"Waiting alone will not make these hold: {'; '.join(acting)}."
    return f"{first} The others hold at the earliest {earliest} if nothing changes." if waiting else first


def _left(seconds: float) -> float:
    return max(0.0, seconds)


def _coverage_gates(connection: Connection, days: int) -> list[Gate]:
    gates = []
    for row in table_coverage(connection):
        held = connection.execute(
            query("gate_coverage_held"), {"table": row.table, "target_pct": TARGET_PCT}
        ).one()
        now = f"{row.resolved_pct}% ({row.resolved_fk:,} of {row.total_legacy:,})"
        holds_in = None
        if not row.meets_target:
            holds, evidence = False, f"below the target now: {now}"
        elif held.held_since is None:
            holds, evidence = False, f"{now} now, but no coverage snapshot at or above the target yet"
            holds_in = days * DAY  # the next snapshot starts the window
        else:
            holds = held.held_seconds >= days * DAY
            holds_in = _left(days * DAY - float(held.held_seconds))
            evidence = (
                f"{now} now; every snapshot at or above {TARGET_PCT}% since "
                f"{held.held_since:%Y-%m-%d %H:%M} UTC ({age(held.held_seconds)})"
            )
        gates.append(
            Gate(
                f"coverage_held_{row.table}",
                f"Coverage of {row.table} held at or above {TARGET_PCT}%",
                holds,
                evidence,
                f"now and in every snapshot of the last {days} days",
                THRESHOLDS["coverage_held_days"].setting,
                "gate_coverage_held",
                row.table,
                holds_in,
            )
        )
    return gates


def _verify_gate(connection: Connection, hours: int) -> Gate:
    run = connection.execute(query("gate_verify")).one_or_none()
    if run is None:
        holds, evidence = False, f"no verify run has finished yet: run `{CLI} verify`"
    else:
        holds = run.status == "passed" and run.age_seconds <= hours * HOUR
        found = "no drift" if run.status == "passed" else f"drift in {counted(run.drift_rows, 'row')}"
        evidence = f"verify run {run.id} finished {age(run.age_seconds)} ago: {found}"
    return Gate(
        "verify_passed",
        "Verify found no drift",
        holds,
        evidence,
        f"the latest verify passed, within the last {hours} h",
        THRESHOLDS["verify_max_age_hours"].setting,
        "gate_verify",
        holds_in=0 if holds else None,  # a verify must run
    )


def _legacy_writes_gate(connection: Connection, days: int) -> Gate:
    seen = connection.execute(query("gate_legacy_writes")).one()
    watched = seen.watched_seconds >= days * DAY
    quiet = seen.last_legacy_at is None or seen.legacy_age_seconds >= days * DAY
    quiet_for = float(seen.legacy_age_seconds) if seen.last_legacy_at is not None else days * DAY
    holds_in = _left(days * DAY - min(float(seen.watched_seconds), quiet_for))
    if seen.last_legacy_at is None:
        last = "no legacy-path write seen"
    else:
        last = (
            f"last legacy-path write {age(seen.legacy_age_seconds)} ago, to {seen.entity_type} by "
            f"application '{seen.application_name}' as role {seen.role}"
        )
    since = f"{seen.watched_since:%Y-%m-%d %H:%M} UTC ({age(seen.watched_seconds)})"
    return Gate(
        "no_legacy_writes",
        "No client writes through the legacy path",
        watched and quiet,
        f"{last}; writers watched since {since}",
        f"none in the last {days} days, watched for at least as long",
        THRESHOLDS["legacy_quiet_days"].setting,
        "gate_legacy_writes",
        holds_in=holds_in,
    )


def _triggers_gate(connection: Connection, days: int) -> Gate:
    off_now = [state.name for state in trigger_states(connection) if not state.enabled]
    seen = connection.execute(query("gate_triggers_on")).one()
    holds_in = None
    if off_now:
        holds, evidence = False, f"off now: {', '.join(off_now)}"
    elif seen.sampled_since is None:
        holds, evidence = False, "on now, but no coverage snapshot has recorded their state yet"
        holds_in = days * DAY  # the next snapshot starts the window
    else:
        sampled = seen.sampled_seconds >= days * DAY
        quiet = seen.last_off_at is None or seen.last_off_age_seconds >= days * DAY
        holds = sampled and quiet
        on_for = float(seen.last_off_age_seconds) if seen.last_off_at is not None else days * DAY
        holds_in = _left(days * DAY - min(float(seen.sampled_seconds), on_for))
        last = (
            "never seen off"
            if seen.last_off_at is None
            else (f"last seen off {age(seen.last_off_age_seconds)} ago ({seen.last_off_sign})")
        )
        evidence = (
            f"on now; {last}; state sampled since {seen.sampled_since:%Y-%m-%d %H:%M} UTC "
            f"({age(seen.sampled_seconds)})"
        )
    return Gate(
        "owner_triggers_on",
        f"The {in_words(len(OWNER_TRIGGERS))} owner triggers stayed enabled",
        holds,
        evidence,
        f"enabled throughout the last {days} days",
        THRESHOLDS["triggers_on_days"].setting,
        "gate_triggers_on",
        holds_in=holds_in,
    )


def _foreign_keys_gate(connection: Connection) -> Gate:
    names = [f"{table}_owner_user_id_fkey" for table in MIGRATED_TABLES]
    found = {row.name: row for row in connection.execute(query("gate_foreign_keys"), {"names": names})}
    missing = [name for name in names if name not in found]
    not_valid = [name for name, row in found.items() if not row.validated]
    dangling = {name: row.dangling for name, row in found.items() if row.dangling}
    problems = [f"missing: {', '.join(missing)}"] if missing else []
    if not_valid:
        problems.append(f"NOT VALID: {', '.join(not_valid)}")
    if dangling:
        problems.append(
            "the last verify found "
            + ", ".join(
                f"{counted(rows, 'owner id')} whose user is gone under {name}"
                for name, rows in dangling.items()
            )
            + f" (writes in replica mode skip the foreign key): run `{CLI} verify --repair`"
        )
    evidence = "; ".join(problems) or f"validated: {', '.join(names)}"
    return Gate(
        "foreign_keys_validated",
        "The owner_user_id foreign keys are validated",
        not problems,
        evidence,
        "every table's foreign key validated by PostgreSQL (ALTER TABLE … VALIDATE CONSTRAINT)",
        None,
        "gate_foreign_keys",
        holds_in=None if problems else 0,
    )


def readiness_now(connection: Connection) -> list[Gate]:
    """Every gate, with the thresholds as configured at this moment."""
    return readiness(connection, readiness_settings())
