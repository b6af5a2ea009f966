INSERT INTO migration_ops.verify_runs (started_by, source, batch_size, pause_ms, rows_total)
VALUES (:started_by, :source, :batch_size, :pause_ms, :rows_total)
RETURNING id;
