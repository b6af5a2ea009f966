-- The drifting rows a verify run found, per table and kind.
SELECT entity_type AS table, kind, count(*) AS rows
FROM migration_ops.verify_drift
WHERE verify_run_id = :run_id
GROUP BY entity_type, kind
ORDER BY entity_type, kind;
