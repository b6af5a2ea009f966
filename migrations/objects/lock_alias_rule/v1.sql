-- Alias changes and the statements that resolve rows by the rule in batches (a backfill batch, a
-- reconciliation) exclude each other until the transaction ends. An alias change takes this
-- exclusively, so it waits for the batches in flight; a batch takes it shared, so it waits for
-- an alias change in flight. A batch therefore never resolves through an alias removed meanwhile,
-- and a removal counts every row that a batch resolved through it.
CREATE OR REPLACE FUNCTION migration_ops.lock_alias_rule(p_exclusive boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  IF p_exclusive THEN
    PERFORM pg_advisory_xact_lock(hashtext('owner-console alias rule'));
  ELSE
    PERFORM pg_advisory_xact_lock_shared(hashtext('owner-console alias rule'));
  END IF;
END
$$
