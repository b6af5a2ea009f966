-- The coverage trend of one table: its first and latest snapshot in the last :days days.
WITH recent AS (
  SELECT s.taken_at, s.resolved_pct
  FROM migration_ops.coverage_snapshots AS s
  WHERE s.entity_type = :table AND s.taken_at > now() - make_interval(days => :days)
)
SELECT (SELECT resolved_pct FROM recent ORDER BY taken_at LIMIT 1) AS first_pct,
       (SELECT resolved_pct FROM recent ORDER BY taken_at DESC LIMIT 1) AS last_pct,
       extract(epoch FROM max(taken_at) - min(taken_at)) AS span_seconds
FROM recent;
