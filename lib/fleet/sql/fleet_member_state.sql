-- A migrated fleet member at a glance: how many of its owner triggers are enabled, its latest
-- backfill run (and what holds it), and its latest verify run that reached a verdict.
SELECT
    (SELECT count(*) FROM pg_trigger AS t
     WHERE t.tgname = ANY(:owner_triggers) AND t.tgenabled IN ('O', 'A')) AS triggers_on,
    b.id AS backfill_run, b.status AS backfill_status, b.held_by,
    v.id AS verify_run, v.status AS verify_status, v.drift_rows
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT id, status, held_by FROM migration_ops.backfill_runs ORDER BY id DESC LIMIT 1
) AS b ON true
LEFT JOIN LATERAL (
    SELECT id, status, drift_rows FROM migration_ops.verify_runs
    WHERE status IN ('passed', 'drift') ORDER BY id DESC LIMIT 1
) AS v ON true;
