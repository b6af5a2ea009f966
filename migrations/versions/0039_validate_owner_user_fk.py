"""Validate the owner_user_id foreign keys that 0038 added NOT VALID.

VALIDATE CONSTRAINT scans each table under SHARE UPDATE EXCLUSIVE, which lets reads and writes
go on; that is why it is a revision of its own, after 0038 has committed.

Revision ID: 0039_validate_owner_user_fk
Revises: 0038_owner_user_fk_migration
"""

from alembic import op

revision = "0039_validate_owner_user_fk"
down_revision = "0038_owner_user_fk_migration"
branch_labels = None
depends_on = None

TABLES = ("crm_accounts", "crm_opportunities")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {table}_owner_user_id_fkey")


def downgrade() -> None:
    # A validated constraint holds nothing to undo; 0038's downgrade keeps the constraint.
    pass
