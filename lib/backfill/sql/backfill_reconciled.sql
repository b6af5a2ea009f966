-- A reconciliation batch's count, beside the runner's record of it, in the batch's transaction.
UPDATE migration_ops.backfill_runs
SET rows_reconciled = rows_reconciled + :reconciled
WHERE id = :id;
