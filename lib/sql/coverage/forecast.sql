-- Dry run: the coverage a backfill run now would give one table, by the same resolution rule,
-- without writing, and what would stay unresolved by reason. :usernames and :rows are what
-- forecast_pending.sql found: the rule resolves each username once, given them all at once, so
-- that it is planned with them in view (hash joins, not a probe per name). The figures as they are
-- come from the kept counts (coverage_counts.sql).
WITH as_is AS (
  SELECT
    coalesce(sum(total_legacy), 0)::bigint AS total_legacy,
    coalesce(sum(resolved_fk), 0)::bigint AS resolved_fk
  FROM migration_ops.coverage_counts
  WHERE entity_type = :table
), outcome AS (
  SELECT r.reason, sum(p.rows)::bigint AS rows
  FROM unnest(CAST(:usernames AS text[]), CAST(:rows AS bigint[])) AS p (owner_username, rows)
  JOIN resolve_owner_usernames(CAST(:usernames AS text[])) AS r
    ON r.owner_username = p.owner_username COLLATE "C"
  GROUP BY r.reason
), newly_resolved AS (
  SELECT coalesce(sum(o.rows) FILTER (WHERE o.reason IS NULL), 0)::bigint AS rows FROM outcome AS o
)
SELECT
  c.total_legacy,
  c.resolved_fk + n.rows AS resolved_fk,
  migration_ops.resolved_pct(c.total_legacy, c.resolved_fk + n.rows) AS resolved_pct,
  n.rows AS newly_resolved,
  (SELECT coalesce(jsonb_object_agg(o.reason, o.rows) FILTER (WHERE o.reason IS NOT NULL), '{}')
   FROM outcome AS o) AS remainder
FROM as_is AS c, newly_resolved AS n;
