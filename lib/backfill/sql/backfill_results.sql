-- What a finished run fixed: coverage after it, and the remainder by reason.
UPDATE migration_ops.backfill_runs
SET coverage_after = CAST(:coverage_after AS jsonb), remainder_after = CAST(:remainder_after AS jsonb)
WHERE id = :id;
