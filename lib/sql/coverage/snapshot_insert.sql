INSERT INTO migration_ops.coverage_snapshots (entity_type, total_legacy, resolved_fk, resolved_pct, reason)
VALUES (:entity_type, :total_legacy, :resolved_fk, :resolved_pct, :reason);
