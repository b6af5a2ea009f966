-- The most recent run, to resume it when its process died.
SELECT id, status, current_table, last_id, tables_done
FROM migration_ops.backfill_runs
ORDER BY id DESC
LIMIT 1;
