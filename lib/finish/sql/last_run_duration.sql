-- How long the last backfill run that completed took, in seconds.
SELECT extract(epoch FROM r.finished_at - r.started_at) AS seconds
FROM migration_ops.backfill_runs AS r
WHERE r.status = 'succeeded' AND r.started_at IS NOT NULL
ORDER BY r.id DESC
LIMIT 1;
