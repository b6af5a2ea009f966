-- Rows written while their table's owner triggers were off, per table, that the next backfill
-- run reconciles before its scan (migration 0050).
SELECT entity_type AS table, count(DISTINCT entity_id) AS rows, min(written_at) AS since
FROM migration_ops.owner_writes_while_off
GROUP BY entity_type;
