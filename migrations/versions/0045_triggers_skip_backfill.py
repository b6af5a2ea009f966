"""The owner triggers are not even called inside a backfill batch.

0038's trigger functions return at once when owner_migration.backfill is on, but PostgreSQL still
calls them for every row a batch updates, and queues every AFTER event: about a tenth of a batch's
time (docs/PERFORMANCE.md). A WHEN condition on the setting is checked without calling the
function, and an AFTER event it rejects is never queued.

Each trigger keeps its name, its events and its enabled or disabled state (an incident may have
disabled it). Downgrade puts back 0038's definitions, in the same way.

Revision ID: 0045_triggers_skip_backfill
Revises: 0044_set_based_backfill_batch
"""

from alembic import op

revision = "0045_triggers_skip_backfill"
down_revision = "0044_set_based_backfill_batch"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime registry is lib/registry.py.
TABLES = ("crm_accounts", "crm_opportunities")
TRIGGERS = {
    "sync": ("BEFORE INSERT OR UPDATE OF owner_username, owner_user_id", "sync_owner_reference_fields"),
    "log": (
        "AFTER INSERT OR UPDATE OF owner_username, owner_user_id OR DELETE",
        "log_unresolved_owner_reference",
    ),
}
OUTSIDE_BACKFILL = "WHEN (current_setting('owner_migration.backfill', true) IS DISTINCT FROM 'on')"


def _replace_triggers(condition: str) -> None:
    for table in TABLES:
        for kind, (events, function) in TRIGGERS.items():
            name = f"{table}_owner_{kind}_guard"
            # CREATE OR REPLACE enables the trigger: a disabled one is disabled again.
            op.execute(f"""
                DO $$
                DECLARE
                  v_was_disabled boolean := EXISTS (
                    SELECT 1 FROM pg_trigger
                    WHERE tgrelid = '{table}'::regclass AND tgname = '{name}' AND tgenabled = 'D');
                BEGIN
                  CREATE OR REPLACE TRIGGER {name}
                  {events} ON {table}
                  FOR EACH ROW {condition} EXECUTE FUNCTION {function}();
                  IF v_was_disabled THEN
                    ALTER TABLE {table} DISABLE TRIGGER {name};
                  END IF;
                END
                $$
            """)


def upgrade() -> None:
    _replace_triggers(OUTSIDE_BACKFILL)


def downgrade() -> None:
    _replace_triggers("")
