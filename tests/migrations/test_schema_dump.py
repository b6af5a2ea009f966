"""migrations/schema.sql is the schema of a database at head, line for line as pg_dump prints it."""

import pytest
from sqlalchemy import text

from migrations.schema import DUMPED_BY_MAJOR, SCHEMA_FILE, dump_schema


def test_schema_sql_is_what_pg_dump_prints_of_a_database_at_head(db):
    with db.connect() as connection:
        major = int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10_000
        if major != DUMPED_BY_MAJOR:
            pytest.skip(f"schema.sql is PostgreSQL {DUMPED_BY_MAJOR}'s dump; this server is {major}")
        dumped = dump_schema(connection)
    stale = "migrations/schema.sql is stale: run `python -m migrations.schema`"
    assert dumped == SCHEMA_FILE.read_text(), stale
