-- A batch's counts, in the batch's own transaction.
UPDATE migration_ops.verify_runs
SET current_table = :table,
    last_id = :last_id,
    rows_scanned = rows_scanned + :scanned,
    drift_rows = drift_rows + :drifting,
    retries = retries + :retries,
    heartbeat_at = now()
WHERE id = :id
RETURNING rows_scanned, drift_rows, rows_total;
