"""Per-table coverage, as the playbook's step-3 query defines it, read from the counts that the
database keeps exact (migration 0043) rather than by scanning every table."""

import math
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection

from lib.registry import MIGRATED_TABLES
from lib.sql import query

TARGET_PCT = Decimal("99")
# Coverage shows two decimals: a table reads TARGET_PCT from TARGET_PCT - ROUNDING up.
ROUNDING = Decimal("0.005")


def rows_needed(total_legacy: int) -> int:
    """The resolved rows at which a table of `total_legacy` owned rows reads TARGET_PCT."""
    return math.ceil(total_legacy * (TARGET_PCT - ROUNDING) / 100)


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
