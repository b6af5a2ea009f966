-- Readiness, no drift: the latest verify run that finished its scan, and how long ago.
SELECT r.id, r.status, r.drift_rows, r.finished_at,
       extract(epoch FROM now() - r.finished_at) AS age_seconds
FROM migration_ops.verify_runs AS r
WHERE r.status IN ('passed', 'drift')
ORDER BY r.id DESC
LIMIT 1;
