"""The audit log says which tool each action came through: `migration_ops.audit_log.via` is
`console`, `cli` or `alembic`. `actor_source` keeps saying how the actor was identified (oidc,
proxy or local), which alone could not tell the console's local user from the CLI's.

Entries written before this revision have no `via`. Downgrade keeps the column and what it
recorded, as the log keeps everything; the upgrade is written to find it there again.

Revision ID: 0057_audit_via
Revises: 0056_trigger_bypass_guard
"""

from alembic import op

revision = "0057_audit_via"
down_revision = "0056_trigger_bypass_guard"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime list is lib/guard/identity.py's VIA.
VIA = ("console", "cli", "alembic")


def upgrade() -> None:
    op.execute("ALTER TABLE migration_ops.audit_log ADD COLUMN IF NOT EXISTS via text")
    op.execute(
        "-- squawk-ignore ban-drop-constraint\n"
        "ALTER TABLE migration_ops.audit_log DROP CONSTRAINT IF EXISTS audit_log_via_check"
    )
    tools = ", ".join(f"'{tool}'" for tool in VIA)
    op.execute(f"""
        ALTER TABLE migration_ops.audit_log ADD CONSTRAINT audit_log_via_check
        CHECK (via IN ({tools})) NOT VALID
    """)
    # In a transaction of its own, as 0052 does: the check is new, the rows are not.
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE migration_ops.audit_log VALIDATE CONSTRAINT audit_log_via_check")


def downgrade() -> None:
    """Nothing to undo: the column and its check stay with the entries that use them."""
