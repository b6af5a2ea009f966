"""The rows written while the owner triggers were off that the next backfill run reconciles."""

from sqlalchemy import Connection

from lib.registry import MIGRATED_TABLES
from lib.sql import query


def writes_waiting(connection: Connection) -> dict[str, int]:
    """Per migrated table, the rows waiting to be reconciled."""
    waiting = dict.fromkeys(MIGRATED_TABLES, 0)
    for row in connection.execute(query("writes_waiting")):
        waiting[row.table] = row.rows
    return waiting
