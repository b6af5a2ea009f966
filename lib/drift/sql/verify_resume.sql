-- A run whose process died goes on from its last committed batch, under this process's settings
-- (its status moves back to running through lib/jobs/status.py).
UPDATE migration_ops.verify_runs
SET resumed = resumed + 1, started_by = :started_by, source = :source,
    batch_size = :batch_size, pause_ms = :pause_ms, heartbeat_at = now()
WHERE id = :id AND status = 'interrupted';
