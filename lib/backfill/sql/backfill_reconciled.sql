-- A reconciliation batch's count, added in the batch's own transaction; the status tells the
-- runner whether an operator asked it to stop.
UPDATE migration_ops.backfill_runs
SET rows_reconciled = rows_reconciled + :reconciled,
    retries = retries + :retries,
    heartbeat_at = now()
WHERE id = :id
RETURNING status, rows_reconciled;
