-- An unfinished run that a fresh one replaces: it stays, interrupted, with what it had found.
UPDATE migration_ops.verify_runs
SET status = 'interrupted', finished_at = now()
WHERE status = 'running';
