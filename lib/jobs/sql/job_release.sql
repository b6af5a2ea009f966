-- The hold is over: its time is added to the time the run has waited in all.
UPDATE migration_ops.{runs}
SET held_seconds = held_seconds + extract(epoch FROM clock_timestamp() - held_since),
    held_by = NULL,
    held_detail = NULL,
    held_since = NULL,
    heartbeat_at = clock_timestamp()
WHERE id = :id AND held_since IS NOT NULL;
