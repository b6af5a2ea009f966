-- Step 3's figures for one migrated table, from the counts the database keeps exact (migration
-- 0043): a few rows per table instead of a scan of it. They equal the playbook's step-3 query
-- in every snapshot.
WITH s AS (
  SELECT
    coalesce(sum(total_legacy), 0)::bigint AS total_legacy,
    coalesce(sum(resolved_fk), 0)::bigint AS resolved_fk
  FROM migration_ops.coverage_counts
  WHERE entity_type = :table
)
SELECT total_legacy, resolved_fk, migration_ops.resolved_pct(total_legacy, resolved_fk) AS resolved_pct
FROM s;
