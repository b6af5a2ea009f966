-- v3 (0059): the coverage counts' change of a DELETE (its old_rows) or a TRUNCATE, the two
-- statements still counted per statement; inserted and updated rows are counted one by one
-- (count_coverage_row_change).
CREATE OR REPLACE FUNCTION migration_ops.count_coverage_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_table text := TG_TABLE_NAME;
  v_removed_total bigint;
  v_removed_resolved bigint;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM migration_ops.coverage_counts WHERE entity_type = v_table;
    RETURN NULL;
  END IF;
  SELECT count(*) FILTER (WHERE migration_ops.has_legacy_owner(owner_username)),
         count(*) FILTER (WHERE owner_user_id IS NOT NULL)
  INTO v_removed_total, v_removed_resolved FROM old_rows;
  IF v_removed_total <> 0 OR v_removed_resolved <> 0 THEN
    INSERT INTO migration_ops.coverage_counts (entity_type, total_legacy, resolved_fk)
    VALUES (v_table, -v_removed_total, -v_removed_resolved);
  END IF;
  RETURN NULL;
END
$$
