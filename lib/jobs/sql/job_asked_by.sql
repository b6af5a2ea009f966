-- Who paused the run or asked it to stop (its status moves through lib/jobs/status.py).
UPDATE migration_ops.{runs}
SET paused_by = CASE WHEN :new = 'paused' THEN :requested_by ELSE paused_by END,
    cancel_requested_by = CASE WHEN :new = 'cancelling' THEN :requested_by ELSE cancel_requested_by END
WHERE id = :id;
