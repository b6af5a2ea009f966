-- A fleet member's gates: its latest backfill run and its latest verify run, however they ended.
SELECT 'backfill' AS job, b.id, b.status, NULL::bigint AS drift_rows
FROM (SELECT id, status FROM migration_ops.backfill_runs ORDER BY id DESC LIMIT 1) AS b
UNION ALL
SELECT 'verify', v.id, v.status, v.drift_rows
FROM (SELECT id, status, drift_rows FROM migration_ops.verify_runs ORDER BY id DESC LIMIT 1) AS v;
