"""What revisions share about indexes built CONCURRENTLY."""

from alembic import context, op
from sqlalchemy import text


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
