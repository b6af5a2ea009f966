-- Readiness, coverage held: since when one table's coverage snapshots have all been at or above
-- the target (the first snapshot after the last one below it), and for how long.
WITH last_below AS (
  SELECT max(s.taken_at) AS taken_at
  FROM migration_ops.coverage_snapshots AS s
  WHERE s.entity_type = :table AND s.resolved_pct < :target_pct
), held AS (
  SELECT min(s.taken_at) AS since
  FROM migration_ops.coverage_snapshots AS s, last_below AS b
  WHERE s.entity_type = :table AND s.taken_at > coalesce(b.taken_at, '-infinity')
)
SELECT h.since AS held_since,
       extract(epoch FROM now() - h.since) AS held_seconds,
       b.taken_at AS last_below_at
FROM held AS h, last_below AS b;
