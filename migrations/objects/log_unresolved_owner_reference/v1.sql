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
  ELSIF NEW.owner_user_id IS NULL AND btrim(NEW.owner_username) <> '' THEN
    SELECT coalesce(r.reason, 'pending_backfill') INTO v_reason
    FROM resolve_owner_username(NEW.owner_username) AS r;
    INSERT INTO owner_backfill_errors (entity_type, entity_id, owner_username, reason)
    VALUES (v_entity_type, NEW.id, NEW.owner_username, v_reason)
    ON CONFLICT (entity_type, entity_id) DO UPDATE
      SET owner_username = EXCLUDED.owner_username,
          reason = EXCLUDED.reason,
          last_seen_at = now();
  ELSIF TG_OP = 'UPDATE' THEN
    DELETE FROM owner_backfill_errors
    WHERE entity_type = v_entity_type AND entity_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$
