-- Why the run waits before its next batch, written each time the runner looks again; the hold
-- began when the first of them was written.
UPDATE migration_ops.{runs}
SET held_by = :signal,
    held_detail = :detail,
    last_held_by = :signal,
    held_since = coalesce(held_since, clock_timestamp()),
    heartbeat_at = clock_timestamp()
WHERE id = :id;
