-- Backfill runs, newest first.
SELECT id, status, started_by, source, batch_size, pause_ms, resumed_from, created_at, started_at,
       finished_at, heartbeat_at, current_table, last_id, tables_done, rows_total, rows_scanned,
       rows_resolved, rows_unresolved, rows_reconciled, batches, retries, cancel_requested_by, coverage_before,
       batch_size_now, throttle, held_by, held_detail, held_since, last_held_by, held_seconds, paused_by,
       coverage_after, remainder_after, error_kind, error_message, error_at
FROM migration_ops.backfill_runs
ORDER BY id DESC
LIMIT :limit;
