-- Which database a member is, for telling two members apart that name the same one: its server
-- (the postmaster's start, to the microsecond) and its oid there; whether Alembic has migrated it
-- (its version table), and whether the migration has reached the kept coverage counts (a member
-- before it has no coverage to show).
SELECT pg_postmaster_start_time() AS server_started_at,
       (SELECT d.oid FROM pg_database AS d WHERE d.datname = current_database()) AS database_oid,
       to_regclass('alembic_version') IS NOT NULL AS has_revision,
       to_regclass('migration_ops.coverage_counts') IS NOT NULL AS has_coverage;
