"""What surrounds the resolution rule, written once as database functions, so that the coverage
SQL, the batch, the forecast, the counts and alias removal call them instead of restating them:

- `migration_ops.has_legacy_owner(username)`: the playbook's "has an owner", step 3's
  total_legacy; inlined by the planner, so the partial indexes still match;
- `migration_ops.resolved_pct(total_legacy, resolved_fk)`: step 3's percentage;
- `migration_ops.log_owner_errors(table, ids, usernames, reasons)`: the error-row upsert,
  set-based, for the log trigger's one row and a batch's many.

The log trigger's function, the batch and the coverage counts' functions get new versions that
call them; what each computes is unchanged. Downgrade restores the previous versions, then drops
the three.

Revision ID: 0049_owner_rule_surroundings
Revises: 0048_owner_username_aliases
"""

from alembic import op

from migrations.objects import object_sql

revision = "0049_owner_rule_surroundings"
down_revision = "0048_owner_username_aliases"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime registry is lib/registry.py.
TABLES = ("crm_accounts", "crm_opportunities")
HELPERS = ("has_legacy_owner", "resolved_pct", "log_owner_errors")
HELPER_SIGNATURES = (
    "migration_ops.log_owner_errors(text, bigint[], text[], text[])",
    "migration_ops.resolved_pct(bigint, bigint)",
    "migration_ops.has_legacy_owner(text)",
)
# Each function that now calls the helpers: (name, version before, version now).
REPLACED = (
    ("log_unresolved_owner_reference", 1, 2),
    ("backfill_owner_batch", 2, 3),
    ("count_coverage_change", 1, 2),
    ("recount_coverage", 1, 2),
)


def upgrade() -> None:
    for name in HELPERS:
        op.execute(object_sql(name, 1))
    for name, _, now in REPLACED:
        op.execute(object_sql(name, now, TABLES))


def downgrade() -> None:
    for name, before, _ in REPLACED:
        op.execute(object_sql(name, before, TABLES))
    for signature in HELPER_SIGNATURES:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
