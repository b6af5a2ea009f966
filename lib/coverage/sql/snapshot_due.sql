-- The migrated tables whose last coverage snapshot is older than the interval, or missing.
SELECT table_name
FROM unnest(CAST(:tables AS text[])) AS table_name
WHERE NOT EXISTS (
  SELECT 1 FROM migration_ops.coverage_snapshots AS s
  WHERE s.entity_type = table_name AND s.taken_at > now() - make_interval(secs => :interval_seconds)
);
