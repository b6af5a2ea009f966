"""The unresolved remainder: breakdown, filtered drill-down, CSV export, inactive owners."""

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import Connection

from lib.db.database import require_storable
from lib.registry import MIGRATED_TABLES, REASONS
from lib.remainder.export import write_rows_csv
from lib.sql import query

COLUMNS = (
    "entity_type",
    "entity_id",
    "entity_name",
    "owner_username",
    "reason",
    "first_seen_at",
    "last_seen_at",
)
EXPORT_BATCH_ROWS = 2_000


@dataclass(frozen=True)
class UnresolvedFilter:
    tables: tuple[str, ...] = MIGRATED_TABLES
    reasons: tuple[str, ...] = REASONS
    username_contains: str = ""

    def __post_init__(self) -> None:
        require_storable("Username contains", self.username_contains)

    def params(self) -> dict:
        return {
            "tables": list(self.tables),
            "reasons": list(self.reasons),
            "username_contains": self.username_contains,
        }


def remainder_by_reason(connection: Connection) -> list[tuple[str, str, int]]:
    return [tuple(row) for row in connection.execute(query("remainder_by_reason"))]


def unresolved_by_table(connection: Connection) -> dict[str, int]:
    """owner_backfill_errors rows per migrated table (step 4 summed over reasons)."""
    counts = dict.fromkeys(MIGRATED_TABLES, 0)
    for table, _, count in remainder_by_reason(connection):
        counts[table] += count
    return counts


def count_unresolved(connection: Connection, rows: UnresolvedFilter) -> int:
    return connection.execute(query("unresolved_count"), rows.params()).scalar_one()


def unresolved_page(connection: Connection, rows: UnresolvedFilter, page: int, page_size: int) -> list[dict]:
    """One page (numbered from 1) of the filtered rows, in entity order."""
    params = rows.params() | {"limit": page_size, "offset": (page - 1) * page_size}
    return [dict(row) for row in connection.execute(query("unresolved_rows"), params).mappings()]


def write_csv(connection: Connection, rows: UnresolvedFilter, out: TextIO) -> int:
    """Write every filtered row to `out` as CSV, streamed as the server sends them; the row count."""
    with unresolved_row_stream(connection, rows) as streamed:
        return write_rows_csv(out, COLUMNS, streamed)


def inactive_owner_rows(connection: Connection, limit: int) -> dict[str, tuple[int, list[dict]]]:
    """Per table: how many rows an inactive user owns, and the first `limit` of them."""
    return {
        table: (
            connection.execute(query("inactive_owners_count", table)).scalar_one(),
            [
                dict(row)
                for row in connection.execute(query("inactive_owners", table), {"limit": limit}).mappings()
            ],
        )
        for table in MIGRATED_TABLES
    }


def unresolved_row_stream(connection: Connection, rows: UnresolvedFilter) -> closing[Iterator[tuple]]:
    """Every filtered row, as the server sends them, for a `with` block: the stream is closed with
    it, whatever happens to the rows, since a stream left open would keep the connection busy."""
    return closing(_stream(connection, rows))


def _stream(connection: Connection, rows: UnresolvedFilter) -> Iterator[tuple]:
    statement = query("unresolved_rows").compile(dialect=connection.dialect)
    params = statement.construct_params(rows.params() | {"limit": None, "offset": 0})
    # psycopg's streaming, under SQLAlchemy: the server sends the rows on while they are being
    # written, where a server-side cursor waits for a FETCH round trip per batch (P6 in
    # docs/PERFORMANCE.md). Only EXPORT_BATCH_ROWS rows are held at a time either way.
    with connection.connection.driver_connection.cursor() as cursor:
        yield from cursor.stream(str(statement), params, size=EXPORT_BATCH_ROWS)
