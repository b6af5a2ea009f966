-- Each batch of approved aliases, newest first: how many of its aliases remain, and the first
-- backfill run created after it, with the coverage before and after that run.
SELECT b.id, b.created_at, b.created_by, b.source, b.note,
       (SELECT count(*) FROM migration_ops.owner_username_aliases AS a WHERE a.batch_id = b.id) AS aliases,
       run.id AS run_id, run.status AS run_status, run.coverage_before, run.coverage_after
FROM migration_ops.alias_batches AS b
LEFT JOIN LATERAL (
  SELECT r.id, r.status, r.coverage_before, r.coverage_after
  FROM migration_ops.backfill_runs AS r
  WHERE r.created_at >= b.created_at
  ORDER BY r.created_at, r.id
  LIMIT 1
) AS run ON true
ORDER BY b.id DESC
LIMIT :limit;
