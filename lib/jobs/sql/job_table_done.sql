-- The run has finished a table: a resumed run starts after it.
UPDATE migration_ops.{runs}
SET tables_done = array_append(tables_done, CAST(:table AS text)), current_table = NULL, last_id = NULL
WHERE id = :id;
