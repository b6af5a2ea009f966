-- Why the run waits before its next batch, written each time the runner looks again; the hold
-- began when the first of them was written. The status tells the runner whether an operator
-- paused, resumed or stopped it meanwhile.
UPDATE migration_ops.verify_runs
SET held_by = :signal,
    held_detail = :detail,
    held_since = coalesce(held_since, clock_timestamp()),
    heartbeat_at = clock_timestamp()
WHERE id = :id
RETURNING status, rows_scanned, drift_rows, rows_total;
