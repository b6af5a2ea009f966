-- The rows of one table that a verify run found drifting, whatever the kind; an error row whose
-- entity is gone is among them.
SELECT DISTINCT entity_id FROM migration_ops.verify_drift
WHERE verify_run_id = :run_id AND entity_type = :table
ORDER BY entity_id;
