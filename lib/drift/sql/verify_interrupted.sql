-- A run that says it is running, while no verify holds the lock, died with its process; a fresh run
-- replaces it too. It stays, interrupted, with what it had found, for the next run to resume.
UPDATE migration_ops.verify_runs
SET status = 'interrupted', finished_at = now()
WHERE status = 'running';
