"""Who still writes owner fields through the legacy path, and who through the new one
(docs/design.md, The finish line): recorded per table, UTC day, application_name and database role
by the database itself (migrations 0051, 0058). Since 0058 a count is the minutes in which one
session wrote that way (one record per session, table, path and minute), not rows."""

from sqlalchemy import Connection

from lib.sql import query

COLUMNS = (
    "day",
    "entity_type",
    "application_name",
    "role",
    "legacy_writes",
    "new_writes",
    "last_legacy_at",
    "last_new_at",
)


def owner_writers(connection: Connection, days: int) -> list[dict]:
    """One row per day, table, application and role in the last `days` UTC days, newest first."""
    return [dict(row) for row in connection.execute(query("owner_writers"), {"days": days}).mappings()]
