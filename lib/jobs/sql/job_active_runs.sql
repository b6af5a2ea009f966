-- A job's runs that say they are in progress.
SELECT id, status, started_by, source, started_at, rows_scanned, rows_total
FROM migration_ops.{runs}
WHERE status = ANY (CAST(:active AS text[]))
ORDER BY id;
