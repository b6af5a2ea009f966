UPDATE migration_ops.backfill_runs
SET error_kind = :kind, error_message = :message, error_at = now()
WHERE id = :id;
