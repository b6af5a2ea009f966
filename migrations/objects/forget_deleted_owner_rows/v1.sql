-- A DELETE takes the error rows of its rows with it, whether or not the owner triggers are on
-- (0058): the log trigger is no longer called for deletes.
CREATE OR REPLACE FUNCTION migration_ops.forget_deleted_owner_rows()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_entity_type text := TG_TABLE_NAME;
BEGIN
  DELETE FROM owner_backfill_errors AS e
  USING old_rows AS o
  WHERE e.entity_type = v_entity_type AND e.entity_id = o.id AND o.owner_user_id IS NULL;
  RETURN NULL;
END
$$
