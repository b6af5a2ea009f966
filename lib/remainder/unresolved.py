"""The unresolved remainder: breakdown, filtered drill-down, CSV export, inactive owners."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import Connection

from lib.db.database import require_storable
from lib.registry import MIGRATED_TABLES, REASONS
from lib.remainder.export import copy_csv, write_header
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
TEXT_COLUMNS = ("entity_type", "entity_name", "owner_username", "reason")


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


def write_csv(connection: Connection, rows: UnresolvedFilter, out: BinaryIO) -> int:
    """Every filtered row to `out` as CSV, with its header, as COPY sends them; the row count."""
    write_header(out, COLUMNS)
    return copy_unresolved_rows(connection, rows, out)


def copy_unresolved_rows(
    connection: Connection, rows: UnresolvedFilter, out: BinaryIO, leading: Mapping[str, str] = {}
) -> int:
    """The filtered rows as CSV lines, without a header, after the `leading` constant cells (column:
    value); how many."""
    params = rows.params() | {"limit": None, "offset": 0}
    return copy_csv(connection, "unresolved_rows", params, out, COLUMNS, TEXT_COLUMNS, leading)


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
