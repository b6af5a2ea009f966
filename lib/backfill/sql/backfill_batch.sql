-- One keyset batch of one table, by the same resolution rule as the trigger.
SELECT last_id, scanned, resolved, unresolved
FROM backfill_owner_batch(:table, :after_id, :batch_size);
