-- Who paused the run (its status moves to paused through lib/backfill/status.py).
UPDATE migration_ops.backfill_runs SET paused_by = :requested_by WHERE id = :id;
