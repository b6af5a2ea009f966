"""The playbook's 0038_owner_user_fk_migration: owner_user_id beside owner_username.

Adds `owner_user_id -> app_users.id` (NOT VALID; 0039 validates it), its indexes (CONCURRENTLY),
`owner_backfill_errors`, the one resolution rule, the backfill, the sync and log triggers and the
read views, then runs the initial backfill. `-x skip_backfill=true` defers that backfill to the
batched runner, for big tables.

Downgrade removes the triggers, functions and views only: every owner_user_id value and every
owner_backfill_errors row stays, as the playbook's rollback asks. Upgrading again is safe.

Revision ID: 0038_owner_user_fk_migration
Revises: 0037_crm_baseline
"""

from alembic import context, op
from sqlalchemy import text

from migrations.indexes import drop_if_invalid
from migrations.objects import object_sql

revision = "0038_owner_user_fk_migration"
down_revision = "0037_crm_baseline"
branch_labels = None
depends_on = None

# The tables this revision migrates, and their columns in the read views. Frozen with the
# revision: the console's runtime registry is lib/registry.py.
READ_VIEW_COLUMNS = {
    "crm_accounts": ("id", "name", "created_at", "updated_at"),
    "crm_opportunities": ("id", "account_id", "name", "amount", "stage", "created_at", "updated_at"),
}
TABLES = tuple(READ_VIEW_COLUMNS)
# Version 1 of each, in migrations/objects/: the one resolution rule, the sync and log trigger
# functions, the keyset batch, and the playbook's single-statement backfill.
FUNCTIONS = (
    "resolve_owner_username",
    "sync_owner_reference_fields",
    "log_unresolved_owner_reference",
    "backfill_owner_batch",
    "run_owner_backfill",
)

CREATE_ERRORS_TABLE = """
CREATE TABLE IF NOT EXISTS owner_backfill_errors (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_type text NOT NULL,
    entity_id bigint NOT NULL,
    owner_username text NOT NULL,
    reason text NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT owner_backfill_errors_entity_key UNIQUE (entity_type, entity_id),
    CONSTRAINT owner_backfill_errors_reason_check
        CHECK (reason IN ('user_not_found', 'ambiguous_username', 'pending_backfill'))
)
"""


def _create_read_view(table: str) -> str:
    columns = ", ".join(f"t.{column}" for column in READ_VIEW_COLUMNS[table])
    return f"""
        CREATE OR REPLACE VIEW {table}_with_owner AS
        SELECT {columns},
               COALESCE(u.username, t.owner_username) AS owner_username,
               t.owner_user_id
        FROM {table} AS t
        LEFT JOIN app_users AS u ON u.id = t.owner_user_id
    """


def _indexes() -> list[tuple[str, str]]:
    indexes = [("app_users_username_lower_idx", "app_users (lower(username))")]
    for table in TABLES:
        indexes.append((f"{table}_owner_user_id_idx", f"{table} (owner_user_id)"))
        # What the unresolved count reads: the coverage denominator's rows still without an id.
        indexes.append(
            (
                f"{table}_owner_unresolved_idx",
                f"{table} (id) WHERE owner_user_id IS NULL AND btrim(owner_username) <> ''",
            )
        )
    return indexes


def _skip_backfill() -> bool:
    value = context.get_x_argument(as_dictionary=True).get("skip_backfill", "false")
    return value.strip().lower() in ("1", "true", "yes", "on")


def _constraint_exists(name: str) -> bool:
    # Offline SQL is for a database that never ran this revision.
    if context.is_offline_mode():
        return False
    found = op.get_bind().execute(text("SELECT 1 FROM pg_constraint WHERE conname = :name"), {"name": name})
    return found.first() is not None


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS owner_user_id bigint")
        if not _constraint_exists(f"{table}_owner_user_id_fkey"):
            op.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_owner_user_id_fkey "
                "FOREIGN KEY (owner_user_id) REFERENCES app_users (id) NOT VALID"
            )
    op.execute(CREATE_ERRORS_TABLE)

    with op.get_context().autocommit_block():
        for name, definition in _indexes():
            drop_if_invalid(name)
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")

    for name in FUNCTIONS:
        op.execute(object_sql(name, 1, TABLES))
    for table in TABLES:
        op.execute(f"""
            CREATE OR REPLACE TRIGGER {table}_owner_sync_guard
            BEFORE INSERT OR UPDATE OF owner_username, owner_user_id ON {table}
            FOR EACH ROW EXECUTE FUNCTION sync_owner_reference_fields()
        """)
        op.execute(f"""
            CREATE OR REPLACE TRIGGER {table}_owner_log_guard
            AFTER INSERT OR UPDATE OF owner_username, owner_user_id OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION log_unresolved_owner_reference()
        """)
        op.execute(_create_read_view(table))

    if not _skip_backfill():
        # Its own transaction, after the schema has committed.
        with op.get_context().autocommit_block():
            op.execute("SELECT * FROM run_owner_backfill()")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP VIEW IF EXISTS {table}_with_owner")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_owner_log_guard ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_owner_sync_guard ON {table}")
    op.execute("DROP FUNCTION IF EXISTS run_owner_backfill()")
    op.execute("DROP FUNCTION IF EXISTS backfill_owner_batch(text, bigint, integer)")
    op.execute("DROP FUNCTION IF EXISTS log_unresolved_owner_reference()")
    op.execute("DROP FUNCTION IF EXISTS sync_owner_reference_fields()")
    op.execute("DROP FUNCTION IF EXISTS resolve_owner_username(text)")
