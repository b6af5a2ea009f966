"""Replaceable objects, in the Alembic cookbook's sense: database functions whose bodies change
across revisions. Each version of a body lives once, in `<name>/vN.sql`. The revision that
introduces version N creates or replaces it from there, and its downgrade restores version N-1
from the same files, so that no revision imports another.

`@MIGRATED_TABLES@` in a body becomes the revision's frozen table list, as an SQL array: the
allow-list that the function checks its table argument against.
"""

from pathlib import Path

OBJECTS_DIR = Path(__file__).parent
TABLES_PLACEHOLDER = "@MIGRATED_TABLES@"


def object_sql(name: str, version: int, tables: tuple[str, ...] = ()) -> str:
    """The CREATE OR REPLACE statement of version `version` of `name`."""
    body = (OBJECTS_DIR / name / f"v{version}.sql").read_text(encoding="utf-8")
    if TABLES_PLACEHOLDER in body:
        if not tables:
            raise ValueError(f"{name} v{version} checks a table list: pass the revision's tables")
        body = body.replace(TABLES_PLACEHOLDER, "ARRAY[" + ", ".join(f"'{table}'" for table in tables) + "]")
    return body
