-- Dry run: the coverage a backfill run now would give one table, by the same resolution rule,
-- without writing, and what would stay unresolved by reason. Only rows still without
-- owner_user_id are resolved, each distinct username once. The figures as they are,
-- :total_legacy and :resolved_fk, come from the kept counts (coverage_counts.sql).
WITH pending AS (
  -- Usernames up to 2,000 bytes are read from the index of them alone; the rare longer ones,
  -- too long for an index entry, from their rows.
  SELECT t.owner_username, count(*) AS rows
  FROM {table} AS t
  WHERE t.owner_user_id IS NULL AND migration_ops.has_legacy_owner(t.owner_username)
    AND octet_length(t.owner_username) <= 2000
  GROUP BY t.owner_username
  UNION ALL
  SELECT t.owner_username, count(*) AS rows
  FROM {table} AS t
  WHERE t.owner_user_id IS NULL AND migration_ops.has_legacy_owner(t.owner_username)
    AND octet_length(t.owner_username) > 2000
  GROUP BY t.owner_username
), outcome AS (
  SELECT r.reason, sum(p.rows)::bigint AS rows
  FROM pending AS p
  CROSS JOIN LATERAL resolve_owner_username(p.owner_username) AS r
  GROUP BY r.reason
), newly_resolved AS (
  SELECT coalesce(sum(o.rows) FILTER (WHERE o.reason IS NULL), 0)::bigint AS rows FROM outcome AS o
)
SELECT
  CAST(:total_legacy AS bigint) AS total_legacy,
  :resolved_fk + n.rows AS resolved_fk,
  migration_ops.resolved_pct(:total_legacy, :resolved_fk + n.rows) AS resolved_pct,
  n.rows AS newly_resolved,
  (SELECT coalesce(jsonb_object_agg(o.reason, o.rows) FILTER (WHERE o.reason IS NOT NULL), '{}')
   FROM outcome AS o) AS remainder
FROM newly_resolved AS n;
