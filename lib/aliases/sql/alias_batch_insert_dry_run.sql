-- A dry run's batch is always rolled back. It takes an id outside the sequence, minus this
-- backend's pid (unique among open sessions), so the batch numbers operators see have no gaps.
INSERT INTO migration_ops.alias_batches (id, created_by, source, note)
OVERRIDING SYSTEM VALUE
VALUES (-pg_backend_pid(), :created_by, :source, :note)
RETURNING id;
