-- A new run, with the oldest transaction that its scan might not see: its last pass re-reads
-- every row written since (xid8 to the 32-bit xid that a row's xmin is).
INSERT INTO migration_ops.verify_runs (started_by, source, batch_size, pause_ms, rows_total, changed_since)
VALUES (:started_by, :source, :batch_size, :pause_ms, :rows_total,
        CAST(CAST(CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text) AS bigint) % 4294967296
             AS text) AS xid))
RETURNING id;
