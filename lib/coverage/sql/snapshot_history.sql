-- Coverage snapshots of the last :hours hours, oldest first.
SELECT taken_at, entity_type, total_legacy, resolved_fk, resolved_pct, reason
FROM migration_ops.coverage_snapshots
WHERE taken_at > now() - make_interval(hours => :hours)
ORDER BY taken_at, entity_type;
