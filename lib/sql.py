"""Runtime SQL, one named file per query, in the `sql/` folder of the capability that runs it
(`lib/<capability>/sql/`), so a person can copy any of them into psql. A query is named by its
file name alone: names are unique across folders.

Values are always bound parameters. The only substitution is `{table}`, filled with a name
from the registry, quoted as an identifier. Python code that must write a name into a statement
(DDL takes no parameters) quotes it with `identifier()`; tests/faults/test_security.py fails on
SQL text formatted any other way.
"""

from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text
from sqlalchemy.dialects import postgresql

from lib.registry import MIGRATED_TABLES

LIB_DIR = Path(__file__).parent
identifier = postgresql.dialect().identifier_preparer.quote


@cache
def query_files() -> dict[str, Path]:
    """Every named query and its file; two files of one name are an error, not a choice."""
    files: dict[str, Path] = {}
    for path in sorted(LIB_DIR.glob("*/sql/*.sql")):
        if path.stem in files:
            raise RuntimeError(f"two queries are named {path.stem}: {files[path.stem]} and {path}")
        files[path.stem] = path
    return files


def query_names() -> list[str]:
    return sorted(query_files())


def query_text(name: str, table: str | None = None) -> str:
    """The SQL of `name` as a person would run it, for `table` when the query is per table."""
    source = query_files()[name].read_text(encoding="utf-8")
    if "{table}" not in source:
        return source
    if table not in MIGRATED_TABLES:
        raise ValueError(f"{table!r} is not a migrated table")
    return source.replace("{table}", identifier(table))


def query(name: str, table: str | None = None) -> TextClause:
    return text(query_text(name, table))
