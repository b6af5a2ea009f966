-- The drifting rows a verify run found, in key order; the row as verify saw it, and its error row.
SELECT entity_type AS table, entity_id, kind, owner_username, owner_user_id, error_username,
       error_reason, found_at
FROM migration_ops.verify_drift
WHERE verify_run_id = :run_id
ORDER BY entity_type, entity_id, kind
LIMIT :limit;
