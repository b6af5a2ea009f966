-- What changes the unresolved usernames besides ordinary writes: the latest backfill run and its
-- status, and the aliases (one removed lowers the count; a new batch raises the last id).
SELECT run.id AS run_id,
       run.status AS run_status,
       (SELECT count(*) FROM migration_ops.owner_username_aliases) AS aliases,
       (SELECT max(batch_id) FROM migration_ops.owner_username_aliases) AS last_batch_id
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT id, status FROM migration_ops.backfill_runs ORDER BY id DESC LIMIT 1
) AS run ON true;
