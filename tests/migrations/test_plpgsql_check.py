"""plpgsql_check over every PL/pgSQL function at head: each trigger function against every table
and transition table it fires for, the others alone. The extension is a server package: Debian
ships it for PostgreSQL 15 (postgresql-15-plpgsql-check, which .ci/run installs), the embedded
server has none, so this runs on the PostgreSQL 15 pass."""

import pytest
from sqlalchemy import text

# A function that several triggers of one table share (the coverage counts' for INSERT, UPDATE,
# DELETE and TRUNCATE) is checked once for the table, with every transition table any of them
# names: each reads only its own event's, on the branch for that event.
CHECKED = """
    WITH uses AS (
      SELECT t.tgfoid, t.tgrelid, max(t.tgoldtable) AS oldtable, max(t.tgnewtable) AS newtable
      FROM pg_trigger AS t WHERE NOT t.tgisinternal
      GROUP BY t.tgfoid, t.tgrelid
    )
    SELECT p.oid::regprocedure::text AS function, c.level, c.message, c.lineno
    FROM pg_proc AS p
    JOIN pg_language AS l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
    LEFT JOIN uses AS u ON u.tgfoid = p.oid
    CROSS JOIN LATERAL plpgsql_check_function_tb(
      p.oid, coalesce(u.tgrelid, 0), oldtable => u.oldtable, newtable => u.newtable
    ) AS c
    WHERE p.pronamespace IN ('public'::regnamespace, 'migration_ops'::regnamespace)
      AND (u.tgfoid IS NOT NULL OR p.prorettype <> 'trigger'::regtype)
"""


def test_every_plpgsql_function_passes_plpgsql_check(db):
    with db.connect() as connection:
        if not connection.execute(
            text("SELECT 1 FROM pg_available_extensions WHERE name = 'plpgsql_check'")
        ).first():
            pytest.skip("this server has no plpgsql_check: it is checked on the PostgreSQL 15 pass")
        connection.execute(text("CREATE EXTENSION plpgsql_check"))
        findings = [dict(row) for row in connection.execute(text(CHECKED)).mappings()]
        checked = connection.execute(
            text(
                "SELECT count(*) FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang "
                "WHERE l.lanname = 'plpgsql' AND p.pronamespace = 'migration_ops'::regnamespace"
            )
        ).scalar_one()
    assert checked > 10
    errors = [finding for finding in findings if finding["level"] == "error"]
    assert errors == [], errors
