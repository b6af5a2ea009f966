SELECT * FROM migration_ops.backfill_runs WHERE id = :id;
