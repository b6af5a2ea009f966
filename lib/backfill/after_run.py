"""Steps after a run has succeeded, each in its own transaction, in order."""

from sqlalchemy import Connection

from lib.coverage.snapshots import take_snapshots_after_backfill
from lib.registry import MIGRATED_TABLES
from lib.sql import query


def analyze_migrated_tables(connection: Connection) -> None:
    """Fresh statistics, so that the planner sees the few unresolved rows left."""
    for table in MIGRATED_TABLES:
        connection.execute(query("backfill_analyze", table))
        connection.commit()


AFTER_RUN_STEPS = (analyze_migrated_tables, take_snapshots_after_backfill)
