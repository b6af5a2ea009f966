"""What revisions share about indexes built CONCURRENTLY."""

import re

from alembic import context, op
from sqlalchemy import text

CREATE_CONCURRENTLY = re.compile(r"CREATE (?:UNIQUE )?INDEX CONCURRENTLY IF NOT EXISTS (\w+) ON ")


def drop_if_invalid(index: str) -> None:
    """A CONCURRENTLY build that failed leaves an INVALID index that IF NOT EXISTS would keep."""
    if context.is_offline_mode():
        return
    invalid = op.get_bind().execute(
        text("""
            SELECT 1 FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
            WHERE c.relname = :name AND NOT i.indisvalid
        """),
        {"name": index},
    )
    if invalid.first() is not None:
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")


def build_concurrently(statement: str) -> None:
    """Run a `CREATE INDEX CONCURRENTLY IF NOT EXISTS <name> ON ...` statement, outside a
    transaction, after dropping what a failed build of the same index left."""
    created = CREATE_CONCURRENTLY.match(statement)
    if created is None:
        raise ValueError(f"not a CREATE INDEX CONCURRENTLY IF NOT EXISTS statement: {statement[:80]}")
    drop_if_invalid(created[1])
    op.execute(statement)
