-- Where a run stands after a batch, in the batch's own transaction, beside the task's own counts:
-- the rows it scanned, its retries and, when the batch moved the run on, the table and the last id
-- that a resumed run starts after.
UPDATE migration_ops.{runs}
SET current_table = CASE WHEN :moved THEN CAST(:table AS text) ELSE current_table END,
    last_id = CASE WHEN :moved THEN CAST(:last_id AS bigint) ELSE last_id END,
    rows_scanned = rows_scanned + :scanned,
    retries = retries + :retries,
    heartbeat_at = now()
WHERE id = :id;
