-- v2: also counts, for the legacy-writers telemetry, each row written through the legacy path (a
-- username without an id) or the new one (an id), in two transaction-local settings that the
-- statement-level remember_owner_writes() reads once per statement.
CREATE OR REPLACE FUNCTION sync_owner_reference_fields()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_username text;
  -- An assignment, not PERFORM: PL/pgSQL evaluates a simple expression without the executor.
  v_counted text;
BEGIN
  IF current_setting('owner_migration.backfill', true) = 'on' THEN
    RETURN NEW;
  END IF;

  IF TG_OP = 'UPDATE' AND NEW.owner_user_id IS NOT DISTINCT FROM OLD.owner_user_id THEN
    IF NEW.owner_username IS DISTINCT FROM OLD.owner_username THEN
      -- A legacy client changed only the username: re-resolve, never keep a stale id.
      NEW.owner_user_id := (SELECT r.user_id FROM resolve_owner_username(NEW.owner_username) AS r);
      v_counted := migration_ops.count_owner_write('legacy');
    END IF;
    RETURN NEW;
  END IF;

  IF NEW.owner_user_id IS NOT NULL THEN
    v_counted := migration_ops.count_owner_write('new');
    -- The id wins; the username becomes the canonical one. An unknown id is left to the FK.
    SELECT u.username INTO v_username FROM app_users AS u WHERE u.id = NEW.owner_user_id;
    IF FOUND THEN
      NEW.owner_username := v_username;
    END IF;
  ELSIF TG_OP = 'UPDATE' THEN
    v_counted := migration_ops.count_owner_write('new');
    NEW.owner_username := NULL;
  ELSIF NEW.owner_username IS NOT NULL THEN
    v_counted := migration_ops.count_owner_write('legacy');
    NEW.owner_user_id := (SELECT r.user_id FROM resolve_owner_username(NEW.owner_username) AS r);
  END IF;
  RETURN NEW;
END
$$
