"""The fleet's unresolved rows as one CSV: each member's rows as its own export gives them, streamed
member after member, with the member's name in a first column, `database`. Every member is
reached before the first row is written, so that a file is never missing a member that was down."""

import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import BinaryIO

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from lib.db.database import connection_failure, create_engine_for
from lib.errors import SetupError
from lib.fleet.members import Member
from lib.remainder.export import write_header
from lib.remainder.unresolved import COLUMNS, UnresolvedFilter, copy_unresolved_rows

FLEET_COLUMNS = ("database", *COLUMNS)


def write_fleet_csv(
    members: tuple[Member, ...],
    rows: UnresolvedFilter,
    out: BinaryIO,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, int]:
    """The filtered unresolved rows of every member, in the fleet file's order, as one CSV to
    `out`; the rows written per member. SetupError, before anything is written, naming the first
    member that cannot be reached."""
    with ExitStack() as stack:
        connections = [(member, stack.enter_context(_connected(member, environ))) for member in members]
        write_header(out, FLEET_COLUMNS)
        return {
            member.name: copy_unresolved_rows(connection, rows, out, {"database": member.name})
            for member, connection in connections
        }


@contextmanager
def _connected(member: Member, environ: Mapping[str, str]) -> Iterator[Connection]:
    """A connection to `member`, or SetupError naming it and its line in the fleet file."""
    url = member.url(environ)
    engine = create_engine_for(url)
    try:
        try:
            connection = engine.connect()
        except SQLAlchemyError as error:
            raise SetupError(
                f"member {member.name} (line {member.line}): {connection_failure(url, error)}"
            ) from None
        with connection:
            yield connection
    finally:
        engine.dispose()
