-- The playbook's one-statement backfill, as v1, reconciling each table's rows written while its
-- owner triggers were off before it scans the table.
CREATE OR REPLACE FUNCTION run_owner_backfill()
RETURNS TABLE (entity_type text, scanned bigint, resolved bigint, unresolved bigint)
LANGUAGE plpgsql
AS $fn$
DECLARE
  v_table text;
BEGIN
  FOREACH v_table IN ARRAY @MIGRATED_TABLES@ LOOP
    -- The rows written while the owner triggers were off come first, as in the batched runner.
    PERFORM migration_ops.reconcile_owner_writes(v_table, NULL);
    RETURN QUERY
      SELECT v_table, b.scanned, b.resolved, b.unresolved
      FROM backfill_owner_batch(v_table, NULL, NULL) AS b;
  END LOOP;
END
$fn$
