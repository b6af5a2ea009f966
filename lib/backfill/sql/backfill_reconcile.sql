-- Up to :batch_size rows of one table written while its owner triggers were off, brought in step
-- by the write-path table's rules (migration 0050), with their error rows; how many.
SELECT migration_ops.reconcile_owner_writes(:table, :batch_size) AS reconciled;
