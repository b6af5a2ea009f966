"""An index of the unresolved rows' usernames, so that the dry-run forecast reads them from the
index alone, in username order, instead of visiting every unresolved row in the table.

The forecast resolves each distinct username once; at 7M rows it took about 0.5 s per table,
half of it reading the table's pages (docs/PERFORMANCE.md). The index is partial, like
`<table>_owner_unresolved_idx`: only rows without an id are in it, about 1% of them.

Built CONCURRENTLY outside the transaction; a failed build's INVALID index is rebuilt on the next
upgrade.

Revision ID: 0046_unresolved_username_index
Revises: 0045_triggers_skip_backfill
"""

from alembic import op

from migrations.indexes import drop_if_invalid

revision = "0046_unresolved_username_index"
down_revision = "0045_triggers_skip_backfill"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime registry is lib/registry.py.
TABLES = ("crm_accounts", "crm_opportunities")


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for table in TABLES:
            name = f"{table}_owner_unresolved_username_idx"
            drop_if_invalid(name)
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} (owner_username) "
                "WHERE owner_user_id IS NULL AND btrim(owner_username) <> ''"
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for table in TABLES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {table}_owner_unresolved_username_idx")
