"""Where each member of the fleet stands, read from every member at once, and the rollup: sums of
the members' counts, never an average of their percentages, so that it equals the playbook's
step-3 query summed over the members. A member that cannot be read is one sentence; the others are
read all the same."""

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import psycopg
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from lib.coverage.counts import TableCoverage, resolved_pct
from lib.db.database import connect_once, connection_failure, create_engine_for
from lib.db.schema import head_revision
from lib.errors import SettingError
from lib.finish.readiness import ReadinessSettings, readiness, readiness_settings
from lib.fleet.members import Member
from lib.registry import MIGRATED_TABLES, OWNER_TRIGGERS
from lib.sql import driver_query, query
from lib.text import counted

# Members read at once: a fleet of hundreds is read in a few rounds of connections.
PARALLEL_READS = 16


@dataclass(frozen=True)
class MemberGlance:
    """A migrated member's triggers, last run, drift and readiness, each in a few words."""

    triggers: str  # "4 of 4 on"
    last_run: str  # "run 3 succeeded", "run 4 running, held by replica_lag"
    drift: str  # "none (verify 2)", "12 rows (verify 5)", "not verified"
    readiness: str  # "5 of 7 gates hold"


@dataclass(frozen=True)
class MemberStatus:
    member: Member
    problem: str | None = None  # why it could not be read, in one sentence
    revision: str | None = None
    tables: tuple[TableCoverage, ...] = ()  # empty before the migration keeps coverage counts
    database: tuple[datetime, int] | None = None  # its server's start and its oid: which database it is

    @property
    def reachable(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class FleetStatus:
    members: tuple[MemberStatus, ...]
    rollup: tuple[TableCoverage, ...]

    def same_databases(self) -> list[tuple[Member, Member]]:
        """The pairs of members that name one database: the rollup would count it twice."""
        first: dict[tuple[datetime, int], Member] = {}
        pairs = []
        for status in self.members:
            if status.database is None:
                continue
            if status.database in first:
                pairs.append((first[status.database], status.member))
            else:
                first[status.database] = status.member
        return pairs


def fleet_status(members: tuple[Member, ...], environ: Mapping[str, str] = os.environ) -> FleetStatus:
    with ThreadPoolExecutor(max_workers=min(PARALLEL_READS, len(members))) as pool:
        statuses = tuple(pool.map(lambda member: member_status(member, environ), members))
    return FleetStatus(statuses, rollup(statuses))


def member_status(member: Member, environ: Mapping[str, str] = os.environ) -> MemberStatus:
    try:
        url = member.url(environ)
    except SettingError as error:
        return MemberStatus(member, problem=str(error))
    try:
        # psycopg's own connection: an Engine per member doubled the time of a fleet's read (F1).
        with connect_once(url) as connection:
            found = connection.execute(driver_query("fleet_member")).fetchone()
            # Read as a row: Alembic's own reader costs a member more than every other read.
            revision = (
                connection.execute(driver_query("fleet_member_revision")).fetchone().version_num
                if found.has_revision
                else None
            )
            tables = tuple(
                TableCoverage(
                    table, *connection.execute(driver_query("coverage_counts"), {"table": table}).fetchone()
                )
                for table in (MIGRATED_TABLES if found.has_coverage else ())
            )
    except psycopg.Error as error:
        return MemberStatus(member, problem=connection_failure(url, error))
    return MemberStatus(member, None, revision, tables, (found.server_started_at, found.database_oid))


def fleet_glances(
    statuses: tuple[MemberStatus, ...], environ: Mapping[str, str] = os.environ
) -> dict[str, MemberGlance]:
    """Each member at head at a glance, read from every one at once: a second pass after the
    status, as it reads several times what the status reads (the page shows it when it comes)."""
    settings = readiness_settings(environ)
    at_head = [status.member for status in statuses if status.revision == head_revision()]
    if not at_head:
        return {}
    with ThreadPoolExecutor(max_workers=min(PARALLEL_READS, len(at_head))) as pool:
        glances = pool.map(lambda member: _member_glance(member, environ, settings), at_head)
    return {member.name: glance for member, glance in zip(at_head, glances, strict=True) if glance}


def _member_glance(
    member: Member, environ: Mapping[str, str], settings: ReadinessSettings
) -> MemberGlance | None:
    engine = create_engine_for(member.url(environ))
    try:
        with engine.connect() as connection:
            return _glance(connection, settings)
    except SQLAlchemyError:
        return None  # the status says why it cannot be read
    finally:
        engine.dispose()


def _glance(connection: Connection, settings: ReadinessSettings) -> MemberGlance:
    row = connection.execute(query("fleet_member_state"), {"owner_triggers": list(OWNER_TRIGGERS)}).one()
    if row.backfill_run is None:
        last_run = "no backfill run"
    else:
        held = f", held by {row.held_by}" if row.held_by else ""
        last_run = f"run {row.backfill_run} {row.backfill_status}{held}"
    if row.verify_run is None:
        drift = "not verified"
    elif row.verify_status == "passed":
        drift = f"none (verify {row.verify_run})"
    else:
        drift = f"{counted(row.drift_rows, 'row')} (verify {row.verify_run})"
    gates = readiness(connection, settings)
    return MemberGlance(
        f"{row.triggers_on} of {len(OWNER_TRIGGERS)} on",
        last_run,
        drift,
        f"{sum(gate.holds for gate in gates)} of {len(gates)} gates hold",
    )


def rollup(statuses: tuple[MemberStatus, ...]) -> tuple[TableCoverage, ...]:
    """Each migrated table's counts summed over the members that have them, and the percentage of
    the sums, by the rule of migration_ops.resolved_pct."""
    totals = []
    for table in MIGRATED_TABLES:
        counted = [coverage for status in statuses for coverage in status.tables if coverage.table == table]
        total_legacy = sum(coverage.total_legacy for coverage in counted)
        resolved_fk = sum(coverage.resolved_fk for coverage in counted)
        totals.append(
            TableCoverage(table, total_legacy, resolved_fk, resolved_pct(total_legacy, resolved_fk))
        )
    return tuple(totals)


ROLLUP = "fleet (sum)"


def fleet_rows(status: FleetStatus, glances: Mapping[str, MemberGlance] | None = None) -> list[dict]:
    """A row per member that could be read, then the rollup's: its wave, tags and revision, per
    table resolved_pct with the counts it comes from, and with `glances`, each member's triggers,
    last run, drift and readiness."""
    rows = []
    for member in (read for read in status.members if read.reachable):
        row = {
            "database": member.member.name,
            "wave": member.member.wave,
            "tags": ", ".join(member.member.tags),
            "revision": member.revision or "(not migrated)",
        }
        glance = (glances or {}).get(member.member.name)
        rows.append(
            row | _coverage_columns(member.tables) | ({} if glances is None else _glance_columns(glance))
        )
    return [
        *rows,
        {"database": ROLLUP, "wave": None, "tags": "", "revision": ""} | _coverage_columns(status.rollup),
    ]


def _glance_columns(glance: MemberGlance | None) -> dict:
    if glance is None:
        return dict.fromkeys(("triggers", "last run", "drift", "readiness"), "")
    return {
        "triggers": glance.triggers,
        "last run": glance.last_run,
        "drift": glance.drift,
        "readiness": glance.readiness,
    }


def _coverage_columns(tables: tuple[TableCoverage, ...]) -> dict:
    by_table = {coverage.table: coverage for coverage in tables}
    columns = {}
    for table in MIGRATED_TABLES:
        coverage = by_table.get(table)
        # A float: a column of numbers, blank where a member has no counts yet.
        columns[f"{table} %"] = float(coverage.resolved_pct) if coverage else None
        columns[f"{table} resolved"] = coverage.resolved_fk if coverage else None
        columns[f"{table} owned"] = coverage.total_legacy if coverage else None
    return columns
