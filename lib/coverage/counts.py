"""Per-table coverage, as the playbook's step-3 query defines it, read from the counts that the
database keeps exact (migration 0043) rather than by scanning every table."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection

from lib.registry import MIGRATED_TABLES
from lib.sql import query

TARGET_PCT = Decimal("99")


@dataclass(frozen=True)
class TableCoverage:
    table: str
    total_legacy: int
    resolved_fk: int
    resolved_pct: Decimal

    @property
    def meets_target(self) -> bool:
        return self.resolved_pct >= TARGET_PCT


def table_coverage(connection: Connection) -> list[TableCoverage]:
    """Coverage of every migrated table, from the kept counts."""
    return [
        TableCoverage(table, *connection.execute(query("coverage_counts"), {"table": table}).one())
        for table in MIGRATED_TABLES
    ]


def scanned_coverage(connection: Connection) -> list[TableCoverage]:
    """Coverage of every migrated table by the playbook's step-3 query itself: a full scan of each."""
    return [
        TableCoverage(table, *connection.execute(query("coverage", table)).one()) for table in MIGRATED_TABLES
    ]
