"""Legacy usernames of any length can be written again: 0046's index of the unresolved rows'
usernames refused a row whose username was too long for a btree entry (about 2.7 kB after
compression), so a legacy client writing one got an error that the playbook's schema never gave.

The index now holds usernames of up to 2,000 bytes, which is every real one; a second partial
index, of ids only, finds the rows with longer usernames, so that the forecast reads those few
from the table. Both are built CONCURRENTLY before 0046's index is dropped; a failed build's
INVALID index is rebuilt on the next upgrade.

Downgrade restores 0046's index, which fails with PostgreSQL's "index row size" error while an
unresolved row has a username that is too long for it.

Revision ID: 0047_long_username_index
Revises: 0046_unresolved_username_index
"""

from alembic import op

from migrations.indexes import drop_if_invalid

revision = "0047_long_username_index"
down_revision = "0046_unresolved_username_index"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime registry is lib/registry.py.
TABLES = ("crm_accounts", "crm_opportunities")
UNRESOLVED = "owner_user_id IS NULL AND btrim(owner_username) <> ''"
# The longest username kept in the index, in bytes: well under a btree entry's limit.
INDEXED_BYTES = 2000


def _indexes(table: str) -> dict[str, str]:
    return {
        f"{table}_owner_unresolved_short_username_idx": (
            f"{table} (owner_username) WHERE {UNRESOLVED} AND octet_length(owner_username) <= {INDEXED_BYTES}"
        ),
        f"{table}_owner_unresolved_long_username_idx": (
            f"{table} (id) WHERE {UNRESOLVED} AND octet_length(owner_username) > {INDEXED_BYTES}"
        ),
    }


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for table in TABLES:
            for name, definition in _indexes(table).items():
                drop_if_invalid(name)
                op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {table}_owner_unresolved_username_idx")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for table in TABLES:
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {table}_owner_unresolved_username_idx "
                f"ON {table} (owner_username) WHERE {UNRESOLVED}"
            )
            for name in _indexes(table):
                op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
