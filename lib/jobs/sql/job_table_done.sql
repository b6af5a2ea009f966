UPDATE migration_ops.backfill_runs
SET tables_done = array_append(tables_done, :table), current_table = NULL, last_id = NULL
WHERE id = :id;
