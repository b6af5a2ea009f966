"""Preflight: legacy volume, and how the distinct legacy usernames match (the forecast is
lib/coverage/forecast.py)."""

from sqlalchemy import Connection

from lib.coverage.counts import table_coverage
from lib.registry import MIGRATED_TABLES
from lib.sql import query

MATCH_KINDS = ("exact", "case_insensitive", "alias", "ambiguous", "not_found")


def legacy_volume(connection: Connection) -> dict[str, int]:
    """The playbook's preflight count per table. It counts the rows that coverage calls
    total_legacy, so it is read from the kept counts rather than by scanning each table."""
    return {row.table: row.total_legacy for row in table_coverage(connection)}


def username_matches(connection: Connection) -> list[dict]:
    """A row per table: how many distinct legacy usernames match in each way, and in all.
    It reads every row of every migrated table: about 5 s at 7M rows."""
    rows = []
    for table in MIGRATED_TABLES:
        counts = dict.fromkeys(MATCH_KINDS, 0)
        counts.update(connection.execute(query("username_matches", table)).all())
        rows.append({"table": table, **counts, "distinct": sum(counts.values())})
    return rows
