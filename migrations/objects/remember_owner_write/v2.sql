-- One row written to a migrated table that the owner triggers did not keep in step (0058): its
-- sync trigger did not run in this statement (the setting TG_ARGV[0] does not mark it), or the
-- row was left without an id and its log trigger did not run (TG_ARGV[1]). Kept in
-- migration_ops.owner_writes_while_off, with what the write changed, for the next backfill run to
-- reconcile; while the sync trigger is off, the writer is noted here, as that trigger does.
--
-- v2 (0059): the triggers have no WHEN, as a WHEN that calls a function is prepared again for
-- every statement; the common write (the sync trigger handled it and left an id) returns at
-- once here. The mark is the statement's start time, so a session
-- that disabled the sync trigger between two writes of one statement, inside a function or one
-- message of several commands, is not seen: only the table's owner can do that. Nor is a client
-- that sets the mark itself while the sync trigger is off, as it could set any setting: verify
-- reports what such writes leave out of step.
CREATE OR REPLACE FUNCTION migration_ops.remember_owner_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_entity_type text;
  v_synced boolean;
  v_kind text;
  v_noted text;
BEGIN
  -- The common write first, in one test: each expression a call evaluates is prepared again in
  -- each transaction.
  IF NEW.owner_user_id IS NOT NULL
     AND current_setting(TG_ARGV[0], true) IS NOT DISTINCT FROM statement_timestamp()::text THEN
    RETURN NULL;
  END IF;
  IF current_setting('owner_migration.backfill', true) IS NOT DISTINCT FROM 'on' THEN
    RETURN NULL;
  ELSIF TG_OP = 'INSERT' THEN
    IF NEW.owner_username IS NULL AND NEW.owner_user_id IS NULL THEN
      RETURN NULL;
    END IF;
  ELSIF NEW.owner_username IS NOT DISTINCT FROM OLD.owner_username
        AND NEW.owner_user_id IS NOT DISTINCT FROM OLD.owner_user_id THEN
    RETURN NULL;
  END IF;
  v_synced := current_setting(TG_ARGV[0], true) IS NOT DISTINCT FROM statement_timestamp()::text;
  IF v_synced AND current_setting(TG_ARGV[1], true) IS NOT DISTINCT FROM statement_timestamp()::text THEN
    RETURN NULL;
  END IF;
  v_entity_type := TG_TABLE_NAME;
  IF v_synced THEN
    -- In step with the rule already: only its error row is missing, which a re-resolution writes.
    v_kind := 'username';
  ELSIF TG_OP = 'INSERT' THEN
    -- An insert that names a user is an id write (the id wins); one that names only a username
    -- is a legacy write.
    v_kind := CASE WHEN NEW.owner_user_id IS NULL THEN 'username' ELSE 'user_id' END;
  ELSE
    v_kind := CASE WHEN NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id THEN 'user_id' ELSE 'username' END;
  END IF;

  IF TG_OP = 'INSERT' THEN
    INSERT INTO migration_ops.owner_writes_while_off
      (entity_type, entity_id, kind, owner_username, owner_user_id)
    VALUES (v_entity_type, NEW.id, v_kind, NEW.owner_username, NEW.owner_user_id);
  ELSE
    INSERT INTO migration_ops.owner_writes_while_off
      (entity_type, entity_id, kind, owner_username, owner_user_id, owner_username_before, owner_user_id_before)
    VALUES (v_entity_type, NEW.id, v_kind, NEW.owner_username, NEW.owner_user_id,
            OLD.owner_username, OLD.owner_user_id);
  END IF;
  IF NOT v_synced THEN
    v_noted := migration_ops.note_owner_writer(
      v_entity_type, CASE WHEN v_kind = 'username' THEN 'legacy' ELSE 'new' END);
  END IF;
  RETURN NULL;
END
$$
