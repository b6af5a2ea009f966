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
SELECT
  total_legacy,
  resolved_fk,
  CASE
    WHEN total_legacy = 0 THEN 100
    ELSE round((resolved_fk::numeric / total_legacy::numeric) * 100, 2)
  END AS resolved_pct
FROM s;
