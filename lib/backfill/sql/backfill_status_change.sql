-- The only statement that changes a backfill run's status (lib/backfill/status.py checks the change).
UPDATE migration_ops.backfill_runs
SET status = :new,
    started_at = CASE WHEN :new = 'running' THEN now() ELSE started_at END,
    finished_at = CASE WHEN :new = ANY (CAST(:final AS text[])) THEN now() ELSE finished_at END
WHERE id = :id AND status = :old;
