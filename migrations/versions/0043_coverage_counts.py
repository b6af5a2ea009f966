"""Coverage counts kept exact by the database, so that a refresh reads a few rows instead of
scanning every migrated table.

Each INSERT, UPDATE, DELETE or COPY on a migrated table adds one row of deltas to
`migration_ops.coverage_counts`, in its own transaction, from a statement-level trigger over its
transition tables: only inserts, so writers never wait on one another for a counter row.
`migration_ops.fold_coverage_counts()` folds them into one row per table (the console does it
every minute). The sum per table equals the playbook's step-3 figures in any snapshot; the
predicates in migrations/objects/count_coverage_change are step 3's.

`migration_ops.recount_coverage(table)` counts a table afresh, holding off writers meanwhile.
The upgrade starts from it. Run it again after anything that bypasses user triggers
(`DISABLE TRIGGER USER` or ALL, `session_replication_role = replica`, as pg_restore and logical
replication do); the playbook's rollback names the sync and log triggers, and leaves these on.

Downgrade drops the triggers, the function and the table: they hold no data of the migration.

Revision ID: 0043_coverage_counts
Revises: 0042_audit_log
"""

from alembic import op

from migrations.objects import object_sql

revision = "0043_coverage_counts"
down_revision = "0042_audit_log"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime registry is lib/registry.py.
TABLES = ("crm_accounts", "crm_opportunities")


def upgrade() -> None:
    op.execute("""
        CREATE TABLE migration_ops.coverage_counts (
            entity_type text NOT NULL,
            total_legacy bigint NOT NULL,
            resolved_fk bigint NOT NULL
        )
    """)
    op.execute("CREATE INDEX coverage_counts_entity_type_idx ON migration_ops.coverage_counts (entity_type)")
    op.execute(object_sql("count_coverage_change", 1))
    op.execute("""
        CREATE FUNCTION migration_ops.fold_coverage_counts()
        RETURNS void
        LANGUAGE sql
        AS $$
          -- Rows a concurrent writer commits meanwhile are not in this snapshot: they stay, unfolded.
          WITH folded AS (
            DELETE FROM migration_ops.coverage_counts RETURNING *
          )
          INSERT INTO migration_ops.coverage_counts (entity_type, total_legacy, resolved_fk)
          SELECT entity_type, sum(total_legacy), sum(resolved_fk) FROM folded GROUP BY entity_type
        $$
    """)
    op.execute(object_sql("recount_coverage", 1, TABLES))
    for table in TABLES:
        for event, transition in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            op.execute(f"""
                CREATE TRIGGER {table}_coverage_{event.lower()}
                AFTER {event} ON {table}
                REFERENCING {transition}
                FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.count_coverage_change()
            """)
        op.execute(f"""
            CREATE TRIGGER {table}_coverage_truncate
            AFTER TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.count_coverage_change()
        """)
        op.execute(f"SELECT migration_ops.recount_coverage('{table}')")


def downgrade() -> None:
    for table in TABLES:
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_coverage_{event} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS migration_ops.fold_coverage_counts()")
    op.execute("DROP FUNCTION IF EXISTS migration_ops.recount_coverage(text)")
    op.execute("DROP FUNCTION IF EXISTS migration_ops.count_coverage_change()")
    op.execute("DROP TABLE IF EXISTS migration_ops.coverage_counts")
