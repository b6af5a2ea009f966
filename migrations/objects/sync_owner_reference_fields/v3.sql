-- v3: the write path at the cost of one lookup (0058).
-- - A username is looked up exactly first (step 2 of the rule, on app_users' unique index); only
--   a name that no user has exactly goes through the whole rule (resolve_owner_usernames).
-- - The writers' record is written at most once per session, table, path and minute, not counted
--   per row in settings (note_owner_writer).
-- - A row that this write resolves drops its error row: the log trigger is no longer called for
--   resolved rows.
-- - Each statement it runs in is marked in the setting TG_ARGV[0], once: the write memory's WHEN
--   reads it to know that the statement's rows went through the sync.
CREATE OR REPLACE FUNCTION sync_owner_reference_fields()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  -- A text variable: compared directly, TG_TABLE_NAME (type name) defeats the unique index.
  v_entity_type text := TG_TABLE_NAME;
  v_username text;
  v_path text;
  -- Assignments, not PERFORM: PL/pgSQL evaluates a simple expression without the executor.
  v_noted text;
BEGIN
  IF current_setting(TG_ARGV[0], true) IS DISTINCT FROM statement_timestamp()::text THEN
    v_noted := set_config(TG_ARGV[0], statement_timestamp()::text, true);
  END IF;

  IF TG_OP = 'UPDATE' AND NEW.owner_user_id IS NOT DISTINCT FROM OLD.owner_user_id THEN
    IF NEW.owner_username IS NOT DISTINCT FROM OLD.owner_username THEN
      RETURN NEW;
    END IF;
    -- A legacy client changed only the username: re-resolve, never keep a stale id.
    v_path := 'legacy';
  ELSIF NEW.owner_user_id IS NOT NULL THEN
    v_path := 'new';
  ELSIF TG_OP = 'UPDATE' THEN
    v_path := 'new';
  ELSIF NEW.owner_username IS NOT NULL THEN
    v_path := 'legacy';
  ELSE
    RETURN NEW;
  END IF;

  IF v_path = 'legacy' THEN
    SELECT u.id INTO NEW.owner_user_id
    FROM app_users AS u
    WHERE u.username = btrim(NEW.owner_username) AND btrim(NEW.owner_username) <> '';
    IF NOT FOUND THEN
      NEW.owner_user_id := (SELECT r.user_id FROM resolve_owner_username(NEW.owner_username) AS r);
    END IF;
  ELSIF NEW.owner_user_id IS NOT NULL THEN
    -- The id wins; the username becomes the canonical one. An unknown id is left to the FK.
    SELECT u.username INTO v_username FROM app_users AS u WHERE u.id = NEW.owner_user_id;
    IF FOUND THEN
      NEW.owner_username := v_username;
    END IF;
  ELSE
    NEW.owner_username := NULL;
  END IF;

  IF TG_OP = 'UPDATE' AND OLD.owner_user_id IS NULL AND NEW.owner_user_id IS NOT NULL THEN
    DELETE FROM owner_backfill_errors WHERE entity_type = v_entity_type AND entity_id = NEW.id;
  END IF;
  -- note_owner_writer checks the same key; checked here first so that the common write, already
  -- recorded this minute, calls nothing.
  IF current_setting(migration_ops.owner_writer_setting(v_entity_type, v_path), true)
     IS DISTINCT FROM migration_ops.owner_writer_key() THEN
    v_noted := migration_ops.note_owner_writer(v_entity_type, v_path);
  END IF;
  RETURN NEW;
END
$$
