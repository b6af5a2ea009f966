-- Runs that say they are in progress.
SELECT id, status, started_by, source, started_at, rows_scanned, rows_total
FROM migration_ops.backfill_runs
WHERE status = ANY (CAST(:active AS text[]))
ORDER BY id;
