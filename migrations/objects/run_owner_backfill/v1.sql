CREATE OR REPLACE FUNCTION run_owner_backfill()
RETURNS TABLE (entity_type text, scanned bigint, resolved bigint, unresolved bigint)
LANGUAGE plpgsql
AS $fn$
DECLARE
  v_table text;
BEGIN
  FOREACH v_table IN ARRAY @MIGRATED_TABLES@ LOOP
    RETURN QUERY
      SELECT v_table, b.scanned, b.resolved, b.unresolved
      FROM backfill_owner_batch(v_table, NULL, NULL) AS b;
  END LOOP;
END
$fn$
