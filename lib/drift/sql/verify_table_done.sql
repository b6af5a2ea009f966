UPDATE migration_ops.verify_runs
SET tables_done = array_append(tables_done, CAST(:table AS text)), current_table = NULL, last_id = NULL
WHERE id = :id;
