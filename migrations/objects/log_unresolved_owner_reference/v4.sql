-- v4: called only for a row left without an id (the trigger's WHEN, 0058): a resolved row has no
-- error row, and the sync trigger drops the one of a row it resolves; a deleted row's goes with
-- it (forget_deleted_owner_rows). Each statement it runs in is marked in the setting TG_ARGV[0],
-- so that the write memory knows the row was logged.
CREATE OR REPLACE FUNCTION log_unresolved_owner_reference()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  -- A text variable: compared directly, TG_TABLE_NAME (type name) defeats the unique index.
  v_entity_type text := TG_TABLE_NAME;
  v_reason text;
  v_marked text := set_config(TG_ARGV[0], statement_timestamp()::text, true);
BEGIN
  IF migration_ops.has_legacy_owner(NEW.owner_username) THEN
    SELECT coalesce(r.reason, 'pending_backfill') INTO v_reason
    FROM resolve_owner_username(NEW.owner_username) AS r;
    PERFORM migration_ops.log_owner_errors(
      v_entity_type, ARRAY[NEW.id], ARRAY[NEW.owner_username], ARRAY[v_reason]);
  ELSIF TG_OP = 'UPDATE' AND OLD.owner_user_id IS NULL THEN
    DELETE FROM owner_backfill_errors
    WHERE entity_type = v_entity_type AND entity_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$
