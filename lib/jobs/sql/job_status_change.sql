-- The only statement that changes a run's status (lib/jobs/status.py checks the change). A run
-- that ends lets go of its hold.
UPDATE migration_ops.{runs}
SET status = :new,
    started_at = CASE WHEN :old = 'queued' THEN now() ELSE started_at END,
    finished_at = CASE WHEN :new = ANY (CAST(:final AS text[])) THEN now() END,
    held_by = CASE WHEN :new = ANY (CAST(:final AS text[])) THEN NULL ELSE held_by END,
    held_detail = CASE WHEN :new = ANY (CAST(:final AS text[])) THEN NULL ELSE held_detail END,
    held_since = CASE WHEN :new = ANY (CAST(:final AS text[])) THEN NULL ELSE held_since END
WHERE id = :id AND status = :old;
