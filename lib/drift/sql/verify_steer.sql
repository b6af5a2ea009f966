-- An operator's pause, resume or stop of the verify in progress: the latest run moves to :new
-- when its status is one of :from, and who asked is kept; its id, or no row when none is.
UPDATE migration_ops.verify_runs
SET status = :new,
    paused_by = CASE WHEN :new = 'paused' THEN :requested_by ELSE paused_by END,
    cancel_requested_by = CASE WHEN :new = 'cancelling' THEN :requested_by ELSE cancel_requested_by END
WHERE id = (SELECT max(id) FROM migration_ops.verify_runs) AND status = ANY (CAST(:from AS text[]))
RETURNING id;
