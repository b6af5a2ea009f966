-- Who asked the run to stop (its status moves to cancelling through lib/backfill/status.py).
UPDATE migration_ops.backfill_runs SET cancel_requested_by = :requested_by WHERE id = :id;
