-- Readiness, owner triggers on throughout: since when their state is sampled (each coverage
-- snapshot records it), and the last sign of one being off: a snapshot that saw it, a disable
-- or re-enable in the audit log, a backfill run that reconciled writes made while off, or such
-- writes still waiting.
WITH signs AS (
  SELECT max(s.taken_at) AS at, 'a coverage snapshot saw them off' AS sign
  FROM migration_ops.coverage_snapshots AS s WHERE s.owner_triggers_enabled = false
  UNION ALL
  -- The latest disable and the latest enable, each with its time, as the log has them.
  SELECT max(a.at), 'the audit log: ' || string_agg(
           replace(a.action, ' triggers', 'd') || ' at '
             || to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC',
           ', ' ORDER BY a.at)
  FROM (
    SELECT DISTINCT ON (action) action, at FROM migration_ops.audit_log
    WHERE action IN ('disable triggers', 'enable triggers') AND outcome = 'succeeded'
    ORDER BY action, at DESC
  ) AS a
  UNION ALL
  SELECT max(r.started_at), 'a backfill run reconciled rows written while they were off'
  FROM migration_ops.backfill_runs AS r WHERE r.rows_reconciled > 0
  UNION ALL
  SELECT max(w.written_at), 'rows written while they were off wait to be reconciled'
  FROM migration_ops.owner_writes_while_off AS w
), last_sign AS (
  SELECT at, sign FROM signs WHERE at IS NOT NULL ORDER BY at DESC LIMIT 1
)
SELECT sampled.since AS sampled_since,
       extract(epoch FROM now() - sampled.since) AS sampled_seconds,
       l.at AS last_off_at, l.sign AS last_off_sign,
       extract(epoch FROM now() - l.at) AS last_off_age_seconds
FROM (
  SELECT min(s.taken_at) AS since FROM migration_ops.coverage_snapshots AS s
  WHERE s.owner_triggers_enabled IS NOT NULL
) AS sampled
LEFT JOIN last_sign AS l ON true;
