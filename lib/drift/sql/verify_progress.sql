-- A batch's drifting rows, beside the runner's record of it (job_batch_done), in the batch's
-- transaction; the run's totals after it.
UPDATE migration_ops.verify_runs
SET drift_rows = drift_rows + :drifting
WHERE id = :id
RETURNING rows_scanned, drift_rows, rows_total;
