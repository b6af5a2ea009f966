-- The verdict: drift when any batch stored a drifting row, passed otherwise.
UPDATE migration_ops.verify_runs
SET status = CASE WHEN drift_rows > 0 THEN 'drift' ELSE 'passed' END, finished_at = now()
WHERE id = :id
RETURNING status, drift_rows;
