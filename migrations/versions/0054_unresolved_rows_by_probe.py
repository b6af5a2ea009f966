"""`migration_ops.unresolved_owner_rows` names each entity by a probe of its table's primary key.

0040's view joined each migrated table with a LEFT JOIN. For a page of rows that is a probe per
row, but for an export of every row the planner chose hash joins over whole tables: at 7M rows,
100,000 error rows read every page of both. A scalar subquery per table is always a primary-key
probe, in the error rows' order: the cost follows the rows read, not the size of the tables.
The columns are 0040's.

Downgrade restores 0040's view.

Revision ID: 0054_unresolved_rows_by_probe
Revises: 0053_set_based_owner_rule
"""

from alembic import op

revision = "0054_unresolved_rows_by_probe"
down_revision = "0053_set_based_owner_rule"
branch_labels = None
depends_on = None

TABLES = ("crm_accounts", "crm_opportunities")


def _view(entity_name: str, joins: str = "") -> str:
    return f"""
        CREATE OR REPLACE VIEW migration_ops.unresolved_owner_rows AS
        SELECT e.entity_type, e.entity_id, {entity_name} AS entity_name, e.owner_username,
               e.reason, e.first_seen_at, e.last_seen_at
        FROM owner_backfill_errors AS e
        {joins}
    """


def upgrade() -> None:
    probes = " ".join(
        f"WHEN '{table}' THEN (SELECT t.name FROM {table} AS t WHERE t.id = e.entity_id)" for table in TABLES
    )
    op.execute(_view(f"CASE e.entity_type {probes} END"))


def downgrade() -> None:
    names = ", ".join(f"{table}.name" for table in TABLES)
    joins = "\n".join(
        f"LEFT JOIN {table} ON e.entity_type = '{table}' AND {table}.id = e.entity_id" for table in TABLES
    )
    op.execute(_view(f"coalesce({names})", joins))
