"""Preflight: legacy volume, how the distinct usernames match, and a dry-run forecast."""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection

from lib.coverage.counts import table_coverage
from lib.registry import MIGRATED_TABLES
from lib.sql import query

MATCH_KINDS = ("exact", "case_insensitive", "alias", "ambiguous", "not_found")


@dataclass(frozen=True)
class Forecast:
    """What a backfill run now would leave: the step-3 figures after it, and the remainder."""

    table: str
    total_legacy: int
    resolved_fk: int
    resolved_pct: Decimal
    newly_resolved: int
    remainder: dict[str, int] = field(default_factory=dict)


def legacy_volume(connection: Connection) -> dict[str, int]:
    """The playbook's preflight count per table. It counts the rows that coverage calls
    total_legacy, so it is read from the kept counts rather than by scanning each table."""
    return {row.table: row.total_legacy for row in table_coverage(connection)}


def username_matches(connection: Connection) -> list[dict]:
    """A row per table: how many distinct legacy usernames match in each way, and in all.
    It reads every row of both tables: about 5 s at 7M rows."""
    rows = []
    for table in MIGRATED_TABLES:
        counts = dict.fromkeys(MATCH_KINDS, 0)
        counts.update(connection.execute(query("username_matches", table)).all())
        rows.append({"table": table, **counts, "distinct": sum(counts.values())})
    return rows


def forecast(connection: Connection) -> list[Forecast]:
    forecasts = []
    for table in MIGRATED_TABLES:
        *figures, remainder = connection.execute(query("forecast", table), {"table": table}).one()
        forecasts.append(Forecast(table, *figures, remainder=dict(sorted(remainder.items()))))
    return forecasts
