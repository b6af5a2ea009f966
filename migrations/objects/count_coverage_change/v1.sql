CREATE OR REPLACE FUNCTION migration_ops.count_coverage_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_table text := TG_TABLE_NAME;
  v_added_total bigint := 0;
  v_added_resolved bigint := 0;
  v_removed_total bigint := 0;
  v_removed_resolved bigint := 0;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM migration_ops.coverage_counts WHERE entity_type = v_table;
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT count(*) FILTER (WHERE owner_username IS NOT NULL AND btrim(owner_username) <> ''),
           count(*) FILTER (WHERE owner_user_id IS NOT NULL)
    INTO v_added_total, v_added_resolved FROM new_rows;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT count(*) FILTER (WHERE owner_username IS NOT NULL AND btrim(owner_username) <> ''),
           count(*) FILTER (WHERE owner_user_id IS NOT NULL)
    INTO v_removed_total, v_removed_resolved FROM old_rows;
  END IF;
  IF v_added_total <> v_removed_total OR v_added_resolved <> v_removed_resolved THEN
    INSERT INTO migration_ops.coverage_counts (entity_type, total_legacy, resolved_fk)
    VALUES (v_table, v_added_total - v_removed_total, v_added_resolved - v_removed_resolved);
  END IF;
  RETURN NULL;
END
$$
