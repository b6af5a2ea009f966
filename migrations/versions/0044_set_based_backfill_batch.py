"""A faster backfill batch, by the same resolution rule: each distinct username of the batch is
resolved once, the resolvable rows are updated in one statement, and only the unresolvable rows
are locked to be logged.

0038's batch locked every row of the batch before updating it, so that a concurrent writer and
the batch never interleave on a row: every resolved row was written twice. Here the UPDATE takes
the row lock itself and re-checks, on the row's latest version, that the username it resolved is
still the row's and that the row still has no id; a row a writer changed meanwhile is left to the
writer's own triggers. The unresolvable rows (about 1% of them) are still locked first, so that
their error row is never written from a stale username.

Downgrade restores 0038's batch.

Revision ID: 0044_set_based_backfill_batch
Revises: 0043_coverage_counts
"""

from alembic import op

from migrations.objects import object_sql

revision = "0044_set_based_backfill_batch"
down_revision = "0043_coverage_counts"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime registry is lib/registry.py.
TABLES = ("crm_accounts", "crm_opportunities")


def upgrade() -> None:
    op.execute(object_sql("backfill_owner_batch", 2, TABLES))


def downgrade() -> None:
    op.execute(object_sql("backfill_owner_batch", 1, TABLES))
