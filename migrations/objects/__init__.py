"""Replaceable objects, in the Alembic cookbook's sense: database functions, views and the DDL of a
migrated table, whose text changes across revisions. Each version lives once, in `<name>/vN.sql`.
The revision that introduces version N creates or replaces it from there, and its downgrade
restores version N-1 from the same files, so that no revision imports another.

In a body:
- `@MIGRATED_TABLES@` becomes the revision's frozen table list, as an SQL array: the allow-list
  that a function checks its table argument against;
- a line that starts `@EACH_TABLE@` is written once for each of those tables, `{table}` in it
  filled;
- `{table}` elsewhere is the one table the object is for (`table_sql`): the objects every
  migrated table has, so that a revision adding a table creates them from one file.
"""

import re
from pathlib import Path

OBJECTS_DIR = Path(__file__).parent
TABLES_PLACEHOLDER = "@MIGRATED_TABLES@"
EACH_TABLE = "@EACH_TABLE@"
# A table name is written into DDL as it is: it must be a plain lower-case identifier.
TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def object_sql(name: str, version: int, tables: tuple[str, ...] = ()) -> str:
    """The CREATE OR REPLACE statement of version `version` of `name`."""
    body = _body(name, version)
    if TABLES_PLACEHOLDER in body or EACH_TABLE in body:
        if not tables:
            raise ValueError(f"{name} v{version} checks a table list: pass the revision's tables")
        for table in tables:
            _check(table)
        body = body.replace(TABLES_PLACEHOLDER, "ARRAY[" + ", ".join(f"'{table}'" for table in tables) + "]")
        body = "\n".join(
            "\n".join(line.removeprefix(EACH_TABLE).replace("{table}", table) for table in tables)
            if line.startswith(EACH_TABLE)
            else line
            for line in body.splitlines()
        )
    return body


def table_sql(name: str, version: int, table: str) -> list[str]:
    """The statements of version `version` of `name` for the migrated table `table`, one by one."""
    body = _body(name, version).replace("{table}", _check(table))
    lines = "\n".join(line for line in body.splitlines() if not line.startswith("--"))
    return [statement.strip() for statement in lines.split(";\n") if statement.strip().rstrip(";")]


def _body(name: str, version: int) -> str:
    return (OBJECTS_DIR / name / f"v{version}.sql").read_text(encoding="utf-8")


def _check(table: str) -> str:
    if not TABLE_NAME.fullmatch(table):
        raise ValueError(f"{table!r} is not a plain table name")
    return table
