-- Why the run waits before its next batch, written each time the runner looks again; the hold
-- began when the first of them was written. The status tells the runner whether an operator
-- paused, resumed or stopped it meanwhile.
UPDATE migration_ops.backfill_runs
SET held_by = :signal,
    held_detail = :detail,
    last_held_by = :signal,
    held_since = coalesce(held_since, clock_timestamp()),
    heartbeat_at = clock_timestamp()
WHERE id = :id
RETURNING status, rows_scanned, rows_resolved, rows_unresolved, rows_total,
          extract(epoch FROM clock_timestamp() - started_at) AS elapsed_seconds,
          held_seconds + extract(epoch FROM clock_timestamp() - held_since) AS held_seconds,
          held_by || ': ' || held_detail AS held;
