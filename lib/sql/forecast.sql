-- Dry run: the coverage a backfill run now would give one table, by the same resolution rule,
-- without writing. Only rows still without owner_user_id are resolved (the partial index).
-- The figures as they are come from the kept counts (see coverage_counts.sql).
WITH as_is AS (
  SELECT
    coalesce(sum(total_legacy), 0)::bigint AS total_legacy,
    coalesce(sum(resolved_fk), 0)::bigint AS resolved_fk
  FROM migration_ops.coverage_counts
  WHERE entity_type = :table
), newly_resolved AS (
  SELECT count(*) AS rows
  FROM {table} AS t
  CROSS JOIN LATERAL resolve_owner_username(t.owner_username) AS r
  WHERE t.owner_user_id IS NULL AND btrim(t.owner_username) <> '' AND r.user_id IS NOT NULL
)
SELECT
  c.total_legacy,
  c.resolved_fk + n.rows AS resolved_fk,
  CASE
    WHEN c.total_legacy = 0 THEN 100
    ELSE round(((c.resolved_fk + n.rows)::numeric / c.total_legacy::numeric) * 100, 2)
  END AS resolved_pct,
  n.rows AS newly_resolved
FROM as_is AS c, newly_resolved AS n;
