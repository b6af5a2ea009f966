-- Drifting rows of one table back to the rule (migrations/objects/repair_owner_drift).
SELECT migration_ops.repair_owner_drift(:table, CAST(:ids AS bigint[]));
