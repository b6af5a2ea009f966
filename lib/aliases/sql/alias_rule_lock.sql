-- Until the transaction ends, no backfill batch or reconciliation runs beside this alias change:
-- it waits for those in flight, and later ones wait for it (migration 0050).
SELECT migration_ops.lock_alias_rule(true);
