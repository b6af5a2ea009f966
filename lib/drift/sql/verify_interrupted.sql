-- A run that says it is in progress, while no verify holds the lock, died with its process; a fresh
-- run replaces it too. It stays, interrupted, with what it had found, for the next run to resume.
UPDATE migration_ops.verify_runs
SET status = 'interrupted', finished_at = now(), held_by = NULL, held_detail = NULL, held_since = NULL
WHERE status = ANY (CAST(:active AS text[]));
