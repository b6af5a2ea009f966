"""Runtime SQL, one named file per query, so a person can copy it into psql.

Values are always bound parameters. The only substitution is `{table}`, filled with a name
from the registry, quoted as an identifier. Python code that must write a name into a statement
(DDL takes no parameters) quotes it with `identifier()`; tests/faults/test_security.py fails on
SQL text formatted any other way.
"""

from pathlib import Path

from sqlalchemy import TextClause, text
from sqlalchemy.dialects import postgresql

from lib.registry import MIGRATED_TABLES

SQL_DIR = Path(__file__).parent
identifier = postgresql.dialect().identifier_preparer.quote


def query_names() -> list[str]:
    return sorted(path.stem for path in SQL_DIR.glob("*.sql"))


def query_text(name: str, table: str | None = None) -> str:
    """The SQL of `name` as a person would run it, for `table` when the query is per table."""
    source = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    if "{table}" not in source:
        return source
    if table not in MIGRATED_TABLES:
        raise ValueError(f"{table!r} is not a migrated table")
    return source.replace("{table}", identifier(table))


def query(name: str, table: str | None = None) -> TextClause:
    return text(query_text(name, table))
