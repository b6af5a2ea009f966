-- v5 (0059): the trigger's WHEN keeps only `NEW.owner_user_id IS NULL`. A WHEN that calls a
-- function is prepared again for every statement, which costs a single-row write more than calling
-- this function and returning: the backfill's own statements are skipped here instead.
CREATE OR REPLACE FUNCTION log_unresolved_owner_reference()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  -- A text variable: compared directly, TG_TABLE_NAME (type name) defeats the unique index.
  v_entity_type text := TG_TABLE_NAME;
  v_reason text;
  v_marked text;
BEGIN
  IF current_setting('owner_migration.backfill', true) IS NOT DISTINCT FROM 'on' THEN
    RETURN NULL;
  END IF;
  v_marked := set_config(TG_ARGV[0], statement_timestamp()::text, true);
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
