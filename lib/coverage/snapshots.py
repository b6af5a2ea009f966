"""Coverage snapshots for the history chart and the readiness gates, with the owner triggers'
state at each.

While a console runs, a background job gives each table a snapshot at most once a minute, and
every backfill run adds one per table when it ends. Replicas share the minute's work through a
transaction-scoped advisory lock, so two never write the same minute.
"""

from sqlalchemy import Connection, text

from lib.coverage.counts import TableCoverage, table_coverage
from lib.registry import MIGRATED_TABLES, TRIGGER_KINDS, trigger_name
from lib.sql import query

SNAPSHOT_INTERVAL_SECONDS = 60


def take_due_snapshots(connection: Connection) -> list[str]:
    """Snapshot the tables whose last snapshot is over a minute old, in one transaction that this
    commits; the tables snapshotted."""
    locked = connection.execute(text("SELECT pg_try_advisory_xact_lock(hashtext('owner-console snapshots'))"))
    if not locked.scalar_one():
        connection.rollback()
        return []  # another console process is taking them now
    due = (
        connection.execute(
            query("snapshot_due"),
            {"tables": list(MIGRATED_TABLES), "interval_seconds": SNAPSHOT_INTERVAL_SECONDS},
        )
        .scalars()
        .all()
    )
    if due:
        _insert(connection, [row for row in table_coverage(connection) if row.table in due], "interval")
        # Keep the coverage counts and the writers' tallies at a few rows each, whatever the write rate.
        connection.execute(text("SELECT migration_ops.fold_coverage_counts()"))
        connection.execute(text("SELECT migration_ops.fold_owner_writers()"))
    connection.commit()
    return due


def take_snapshots_after_backfill(connection: Connection) -> None:
    """A snapshot of every table right after a backfill run, whatever the minute."""
    _insert(connection, table_coverage(connection), "backfill")
    connection.commit()


def snapshot_history(connection: Connection, hours: int) -> list[dict]:
    return [dict(row) for row in connection.execute(query("snapshot_history"), {"hours": hours}).mappings()]


def _insert(connection: Connection, coverage: list[TableCoverage], reason: str) -> None:
    connection.execute(
        query("snapshot_insert"),
        [
            {
                "entity_type": row.table,
                "total_legacy": row.total_legacy,
                "resolved_fk": row.resolved_fk,
                "resolved_pct": row.resolved_pct,
                "reason": reason,
                "owner_triggers": [trigger_name(row.table, kind) for kind in TRIGGER_KINDS],
            }
            for row in coverage
        ],
    )
