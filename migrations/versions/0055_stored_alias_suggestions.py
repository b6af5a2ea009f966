"""The alias suggestions, kept: computed by the console in the background, read by the page.

`alias_suggestions.sql` takes seconds on a large remainder (about 10 s for 63,000 unresolved
usernames over 100,000 users), too long for a page to wait on. The console computes it when a
run ends or an alias changes, and keeps the result here:
- `migration_ops.alias_suggestions`: one row per distinct unresolved username (trimmed) with its
  rule verdict, its rows per table and its candidates, best first, as a JSON array;
- `migration_ops.alias_suggestions_computed`: one row, when they were computed, how long it took,
  and what they were computed from (the latest run and the aliases, remediation_inputs.sql), so a
  change since is seen.

Both are a cache: emptying them loses nothing, the console computes them again.

Revision ID: 0055_stored_alias_suggestions
Revises: 0054_unresolved_rows_by_probe
"""

from alembic import op

revision = "0055_stored_alias_suggestions"
down_revision = "0054_unresolved_rows_by_probe"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No key on the username: a legacy value can exceed a btree entry; the query groups by it.
    op.execute("""
        CREATE TABLE IF NOT EXISTS migration_ops.alias_suggestions (
            legacy_username text NOT NULL,
            match_kind text NOT NULL,
            rows_by_table jsonb NOT NULL,
            rows bigint NOT NULL,
            candidates jsonb NOT NULL
        )
    """)
    op.execute("""
        CREATE TABLE IF NOT EXISTS migration_ops.alias_suggestions_computed (
            single boolean PRIMARY KEY DEFAULT true CHECK (single),
            computed_at timestamptz NOT NULL,
            seconds double precision NOT NULL,
            inputs jsonb NOT NULL
        )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS migration_ops.alias_suggestions_computed")
    op.execute("DROP TABLE IF EXISTS migration_ops.alias_suggestions")
