-- As v2, but an update of a row that was already resolved skips the error-row delete.
CREATE OR REPLACE FUNCTION log_unresolved_owner_reference()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  -- A text variable: compared directly, TG_TABLE_NAME (type name) defeats the unique index.
  v_entity_type text := TG_TABLE_NAME;
  v_reason text;
BEGIN
  IF current_setting('owner_migration.backfill', true) = 'on' THEN
    RETURN NULL;
  END IF;

  IF TG_OP = 'DELETE' THEN
    DELETE FROM owner_backfill_errors
    WHERE entity_type = v_entity_type AND entity_id = OLD.id;
  ELSIF NEW.owner_user_id IS NULL AND migration_ops.has_legacy_owner(NEW.owner_username) THEN
    SELECT coalesce(r.reason, 'pending_backfill') INTO v_reason
    FROM resolve_owner_username(NEW.owner_username) AS r;
    PERFORM migration_ops.log_owner_errors(
      v_entity_type, ARRAY[NEW.id], ARRAY[NEW.owner_username], ARRAY[v_reason]);
  ELSIF TG_OP = 'UPDATE' AND OLD.owner_user_id IS NULL THEN
    -- Only a row that was unresolved can have an error row: while this trigger is on, the log holds
    -- one for each unresolved row and none other, and the reconciliation (0050) settles the rows
    -- written while it was off. A resolved row's update, the common one, costs no probe.
    DELETE FROM owner_backfill_errors
    WHERE entity_type = v_entity_type AND entity_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$
