"""Per-table coverage, as the playbook's step-3 query defines it, read from the counts that the
database keeps exact (migration 0043) rather than by scanning every table."""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection

from lib.registry import MIGRATED_TABLES
from lib.sql import query

TARGET_PCT = Decimal("99")
# Coverage shows two decimals: a table reads TARGET_PCT from TARGET_PCT - ROUNDING up.
ROUNDING = Decimal("0.005")


def resolved_pct(total_legacy: int, resolved_fk: int) -> Decimal:
    """migration_ops.resolved_pct, for counts summed over databases that no one of them holds:
    100 when there are no owned rows, else the share in percent, rounded half away from zero to two
    decimals, as PostgreSQL's round() does."""
    if total_legacy == 0:
        return Decimal(100)
    return (Decimal(resolved_fk) * 100 / Decimal(total_legacy)).quantize(Decimal("0.01"), ROUND_HALF_UP)


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
