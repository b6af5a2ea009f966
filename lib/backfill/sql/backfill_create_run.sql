INSERT INTO migration_ops.backfill_runs
    (started_by, source, batch_size, pause_ms, resumed_from, current_table, last_id, tables_done,
     rows_total, coverage_before, batch_size_now, throttle)
VALUES
    (:started_by, :source, :batch_size, :pause_ms, :resumed_from, :current_table, :last_id,
     CAST(:tables_done AS text[]), :rows_total, CAST(:coverage_before AS jsonb), :batch_size,
     CAST(:throttle AS jsonb))
RETURNING id;
