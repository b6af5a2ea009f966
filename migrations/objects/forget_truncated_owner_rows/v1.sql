-- After a TRUNCATE of a migrated table: its error rows and its remembered writes go with its
-- rows, so that owner_backfill_errors keeps holding exactly the unresolved rows.
CREATE OR REPLACE FUNCTION migration_ops.forget_truncated_owner_rows()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  -- A text variable: compared directly, TG_TABLE_NAME (type name) defeats the indexes.
  v_entity_type text := TG_TABLE_NAME;
BEGIN
  DELETE FROM owner_backfill_errors WHERE entity_type = v_entity_type;
  DELETE FROM migration_ops.owner_writes_while_off WHERE entity_type = v_entity_type;
  RETURN NULL;
END
$$
