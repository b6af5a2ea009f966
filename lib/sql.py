"""Runtime SQL, one named file per query, in the `sql/` folder of the capability that runs it
(`lib/<capability>/sql/`), so a person can copy any of them into psql. A query is named by its
file name alone: names are unique across folders.

Values are always bound parameters. The only substitutions are `{table}` and `{runs}`, filled
with a name from the registry (a migrated table, a job's runs table), quoted as an identifier.
Python code that must write a name into a statement (DDL takes no parameters) quotes it with
`identifier()`; tests/faults/test_security.py fails on SQL text formatted any other way.
"""

from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

from lib.registry import JOB_RUNS_TABLES, MIGRATED_TABLES

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


def query_text(name: str, table: str | None = None, runs: str | None = None) -> str:
    """The SQL of `name` as a person would run it, for `table` when the query is per table, and
    for the job whose runs table is `runs` when it is per job."""
    source = query_files()[name].read_text(encoding="utf-8")
    if "{table}" in source:
        if table not in MIGRATED_TABLES:
            raise ValueError(f"{table!r} is not a migrated table")
        source = source.replace("{table}", identifier(table))
    if "{runs}" in source:
        if runs not in JOB_RUNS_TABLES.values():
            raise ValueError(f"{runs!r} is not a job's runs table")
        source = source.replace("{runs}", identifier(runs))
    return source


def query(name: str, table: str | None = None, runs: str | None = None) -> TextClause:
    return text(query_text(name, table, runs))


@cache
def driver_query(name: str) -> str:
    """The named query with psycopg's own placeholders (`%(table)s` for `:table`), for a connection
    that psycopg makes itself (`lib.db.database.connect_once`)."""
    return str(query(name).compile(dialect=psycopg_dialect()))
