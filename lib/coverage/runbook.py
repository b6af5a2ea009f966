"""The playbook's rollout steps, each checked against the database as it is now."""

from dataclasses import dataclass

from sqlalchemy import Connection

from lib.coverage.counts import TARGET_PCT, table_coverage
from lib.coverage.forecast import forecast
from lib.db.schema import current_revision, head_revision
from lib.registry import MIGRATED_TABLES
from lib.sql import query
from lib.text import counted


@dataclass(frozen=True)
class Check:
    step: str
    done: bool
    detail: str
    sql_name: str | None = None  # the named query behind the check, shown beside it
    table: str | None = None


def rollout_checks(connection: Connection) -> list[Check]:
    current, head = current_revision(connection), head_revision()
    checks = [
        Check("Apply the migrations", current == head, f"database at {current}, head is {head}"),
    ]
    for row in forecast(connection):
        checks.append(
            Check(
                f"Initial backfill ran on {row.table}",
                row.newly_resolved == 0,
                f"a backfill run now would resolve {counted(row.newly_resolved, 'more row')}",
                "forecast",
                row.table,
            )
        )
    for row in table_coverage(connection):
        checks.append(
            Check(
                f"Coverage of {row.table} at least {TARGET_PCT}%",
                row.meets_target,
                f"{row.resolved_pct}% ({row.resolved_fk:,} of {row.total_legacy:,})",
                "coverage_counts",
                row.table,
            )
        )
    for table in MIGRATED_TABLES:
        unresolved, listed = connection.execute(
            query("remainder_visible", table), {"entity_type": table}
        ).one()
        checks.append(
            Check(
                f"Remainder of {table} visible in owner_backfill_errors",
                unresolved == listed,
                f"{listed:,} listed for {counted(unresolved, 'unresolved row')}",
                "remainder_visible",
                table,
            )
        )
    return checks
