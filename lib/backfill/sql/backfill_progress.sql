-- A batch's own counts, beside the runner's record of it (job_batch_done), in the batch's
-- transaction; the run's totals after it, for the progress shown.
UPDATE migration_ops.backfill_runs
SET rows_resolved = rows_resolved + :resolved,
    rows_unresolved = rows_unresolved + :unresolved,
    batches = batches + 1,
    batch_size_now = :next_batch_size
WHERE id = :id
RETURNING rows_scanned, rows_resolved, rows_unresolved, rows_total,
          extract(epoch FROM clock_timestamp() - started_at) AS elapsed_seconds, held_seconds,
          NULL AS held;
