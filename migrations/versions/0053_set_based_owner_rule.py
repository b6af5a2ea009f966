"""The resolution rule, set-based (docs/design.md, The resolution rule):
`resolve_owner_usernames(text[])` resolves any number of usernames in one call, one row per name,
and is the only place the rule is written.

- `resolve_owner_username(text)`, which the sync and log triggers, verify and the console call
  with one name, now asks it about that one name.
- `backfill_owner_batch` (v5) reads its batch once for the bounds and the unresolved rows'
  usernames, resolves each distinct one in one call planned with them in view, and updates its
  rows by a hash join on the username. Its results are v4's: the same rows resolved, the same
  error rows.
- The log trigger's function (v3) no longer looks for an error row to delete when an update finds
  the row already resolved: only an unresolved row has one while the trigger is on. The common
  single-row update of a resolved row costs one probe less.

Downgrade restores the per-name rule, v4 of the batch and v2 of the log trigger's function, and
drops the set-based function.

Revision ID: 0053_set_based_owner_rule
Revises: 0052_backfill_throttle
"""

from alembic import op

from migrations.objects import object_sql

revision = "0053_set_based_owner_rule"
down_revision = "0052_backfill_throttle"
branch_labels = None
depends_on = None

TABLES = ("crm_accounts", "crm_opportunities")
# Each function this revision replaces: (name, version before, version now).
REPLACED = (
    ("resolve_owner_username", 2, 3),
    ("backfill_owner_batch", 4, 5),
    ("log_unresolved_owner_reference", 2, 3),
)


def upgrade() -> None:
    op.execute(object_sql("resolve_owner_usernames", 1))
    for name, _, now in REPLACED:
        op.execute(object_sql(name, now, TABLES))


def downgrade() -> None:
    for name, before, _ in REPLACED:
        op.execute(object_sql(name, before, TABLES))
    op.execute("DROP FUNCTION IF EXISTS resolve_owner_usernames(text[])")
