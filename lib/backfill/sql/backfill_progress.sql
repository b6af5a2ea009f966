-- A batch's counts, added in the batch's own transaction; the status tells the runner whether
-- an operator asked it to stop.
UPDATE migration_ops.backfill_runs
SET current_table = :table,
    last_id = :last_id,
    rows_scanned = rows_scanned + :scanned,
    rows_resolved = rows_resolved + :resolved,
    rows_unresolved = rows_unresolved + :unresolved,
    batches = batches + 1,
    batch_size_now = :next_batch_size,
    retries = retries + :retries,
    heartbeat_at = now()
WHERE id = :id
RETURNING status, rows_scanned, rows_resolved, rows_unresolved, rows_total,
          extract(epoch FROM clock_timestamp() - started_at) AS elapsed_seconds, held_seconds,
          NULL AS held;
