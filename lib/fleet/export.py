"""The fleet's unresolved rows as one CSV: each member's rows as its own export gives them, streamed
member after member, with the member's name in a first column, `database`. Every member is
reached before the first row is written, so that a file is never missing a member that was down."""

import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from typing import TextIO

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from lib.db.database import connection_failure, create_engine_for
from lib.errors import SetupError
from lib.fleet.members import Member
from lib.remainder.export import write_rows_csv
from lib.remainder.unresolved import COLUMNS, UnresolvedFilter, unresolved_row_stream

FLEET_COLUMNS = ("database", *COLUMNS)


def write_fleet_csv(
    members: tuple[Member, ...], rows: UnresolvedFilter, out: TextIO, environ: Mapping[str, str] = os.environ
) -> dict[str, int]:
    """The filtered unresolved rows of every member, in the fleet file's order, as one CSV to
    `out`; the rows written per member. SetupError, before anything is written, naming the first
    member that cannot be reached."""
    written: dict[str, int] = {}
    with ExitStack() as stack:
        connections = [(member, stack.enter_context(_connected(member, environ))) for member in members]

        def every_row() -> Iterator[tuple]:
            for member, connection in connections:
                written[member.name] = 0
                with unresolved_row_stream(connection, rows) as streamed:
                    for row in streamed:
                        written[member.name] += 1
                        yield (member.name, *row)

        with closing(every_row()) as streamed:
            write_rows_csv(out, FLEET_COLUMNS, streamed)
    return written


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
